using Psm.Web.Features.ServiceDesk;

namespace Psm.UnitTests.Features.ServiceDesk;

public sealed class BusinessCalendarTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static DateTimeOffset Local(TimeZoneInfo zone, int y, int m, int d, int h, int min = 0)
    {
        var local = new DateTime(y, m, d, h, min, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private readonly BusinessCalendar berlin = BusinessCalendar.Weekdays(Berlin, new(9, 0), new(17, 0), [new DateOnly(2026, 12, 25)]);

    [Fact]
    public void WithinOneDayItIsPlainAddition() =>
        Assert.Equal(Local(Berlin, 2026, 11, 23, 13), berlin.Add(Local(Berlin, 2026, 11, 23, 10), TimeSpan.FromHours(3)));

    [Fact]
    public void CarriesOverNightsAndStartsFromOpeningWhenStartedOutsideHours()
    {
        // Monday 16:00 + 4 h = 1 h on Monday, 3 h on Tuesday: Tuesday 12:00.
        Assert.Equal(Local(Berlin, 2026, 11, 24, 12), berlin.Add(Local(Berlin, 2026, 11, 23, 16), TimeSpan.FromHours(4)));
        // Created at 20:00: the clock starts at 9:00 the next morning.
        Assert.Equal(Local(Berlin, 2026, 11, 24, 10), berlin.Add(Local(Berlin, 2026, 11, 23, 20), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void SkipsWeekendsAndHolidays()
    {
        // Friday 15:00 + 4 h: 2 h Friday, then Monday 11:00.
        Assert.Equal(Local(Berlin, 2026, 11, 30, 11), berlin.Add(Local(Berlin, 2026, 11, 27, 15), TimeSpan.FromHours(4)));
        // Thursday 24 Dec 16:00 + 2 h: Friday 25 Dec is a holiday, so Monday 28 Dec 10:00.
        Assert.Equal(Local(Berlin, 2026, 12, 28, 10), berlin.Add(Local(Berlin, 2026, 12, 24, 16), TimeSpan.FromHours(2)));
    }

    [Fact]
    public void CountsWorkingTimeBetweenTwoMoments()
    {
        Assert.Equal(TimeSpan.FromHours(10), berlin.Between(Local(Berlin, 2026, 11, 27, 9), Local(Berlin, 2026, 11, 30, 11)));
        Assert.Equal(TimeSpan.Zero, berlin.Between(Local(Berlin, 2026, 11, 28, 9), Local(Berlin, 2026, 11, 29, 18))); // a weekend
        Assert.Equal(TimeSpan.Zero, berlin.Between(Local(Berlin, 2026, 11, 30, 11), Local(Berlin, 2026, 11, 27, 9)));
    }

    [Fact]
    public void FollowsTheWallClockAcrossDaylightSavingChanges()
    {
        // Europe springs forward on Sunday 29 March 2026: Friday 16:00 + 2 h = Monday 10:00 local, now UTC+2.
        var monday = berlin.Add(Local(Berlin, 2026, 3, 27, 16), TimeSpan.FromHours(2));
        Assert.Equal(Local(Berlin, 2026, 3, 30, 10), monday);
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 8, 0, 0, TimeSpan.Zero), monday.ToUniversalTime());

        // A calendar open through the night of a change: 1:00-5:00 on the spring-forward Sunday holds three real hours.
        var night = new BusinessCalendar(Berlin, new Dictionary<DayOfWeek, (TimeOnly, TimeOnly)> { [DayOfWeek.Sunday] = (new(1, 0), new(5, 0)) }, []);
        Assert.Equal(TimeSpan.FromHours(3), night.Between(Local(Berlin, 2026, 3, 29, 0), Local(Berlin, 2026, 3, 29, 6)));
        // ...and the autumn one, 25 October, holds five.
        Assert.Equal(TimeSpan.FromHours(5), night.Between(Local(Berlin, 2026, 10, 25, 0), Local(Berlin, 2026, 10, 25, 6)));
    }

    [Fact]
    public void WorksInTheCalendarsOwnTimeZone()
    {
        var newYork = BusinessCalendar.Weekdays(NewYork, new(9, 0), new(17, 0));
        // 15:00 UTC on a Monday in November is 10:00 in New York: + 8 h ends Tuesday 10:00 New York time.
        var start = new DateTimeOffset(2026, 11, 23, 15, 0, 0, TimeSpan.Zero);
        Assert.Equal(Local(NewYork, 2026, 11, 24, 10), newYork.Add(start, TimeSpan.FromHours(8)));
        Assert.False(newYork.IsWorking(new DateTimeOffset(2026, 11, 23, 13, 0, 0, TimeSpan.Zero))); // 8:00 there
        Assert.True(newYork.IsWorking(new DateTimeOffset(2026, 11, 23, 14, 0, 0, TimeSpan.Zero)));  // 9:00 there
    }

    [Fact]
    public void RefusesACalendarThatNeverOpensOrClosesBeforeItOpens()
    {
        Assert.Throws<ArgumentException>(() => new BusinessCalendar(Berlin, new Dictionary<DayOfWeek, (TimeOnly, TimeOnly)>(), []));
        Assert.Throws<ArgumentException>(() => new BusinessCalendar(Berlin,
            new Dictionary<DayOfWeek, (TimeOnly, TimeOnly)> { [DayOfWeek.Monday] = (new(17, 0), new(9, 0)) }, []));
    }
}
