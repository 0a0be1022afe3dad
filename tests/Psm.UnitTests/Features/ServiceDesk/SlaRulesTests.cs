using Psm.Web.Features.ServiceDesk;

namespace Psm.UnitTests.Features.ServiceDesk;

public sealed class SlaRulesTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly Guid Crm = Guid.NewGuid();
    private static readonly BusinessCalendar Hours = BusinessCalendar.Weekdays(Berlin, new(9, 0), new(17, 0));

    // Monday 23 November 2026 in Berlin (UTC+1).
    private static DateTimeOffset Monday(int hour, int minute = 0) => new(2026, 11, 23, hour, minute, 0, TimeSpan.FromHours(1));

    private static SlaPolicy Policy(string name, TicketPriority priority = TicketPriority.High, Guid? product = null, string? plan = null, int created = 0) =>
        new() { Name = name, Priority = priority, ProductId = product, Plan = plan, FirstResponseMinutes = 60, ResolutionMinutes = 480, CreatedAt = Monday(8).AddDays(-created) };

    private static readonly SlaPolicy[] Policies =
    [
        Policy("general"), Policy("older general", created: 5), Policy("plan", plan: "Enterprise"), Policy("product", product: Crm),
        Policy("product and plan", product: Crm, plan: "Enterprise"), Policy("urgent", TicketPriority.Urgent),
    ];

    [Theory]
    [InlineData(TicketPriority.High, true, "Enterprise", "product and plan")]
    [InlineData(TicketPriority.High, true, "enterprise", "product and plan")] // plans match whatever the case
    [InlineData(TicketPriority.High, true, "Pro", "product")]
    [InlineData(TicketPriority.High, false, "Enterprise", "plan")]
    [InlineData(TicketPriority.High, false, "Pro", "older general")] // ties go to the earliest created
    [InlineData(TicketPriority.Urgent, true, "Enterprise", "urgent")]
    public void TheMostSpecificPolicyOfTheSamePriorityWins(TicketPriority priority, bool onCrm, string plan, string expected) =>
        Assert.Equal(expected, SlaRules.Select(Policies, new SlaSubject(priority, onCrm ? Crm : Guid.NewGuid(), plan))!.Name);

    [Fact]
    public void NoPolicyForThePriorityMeansNoDueTimes() =>
        Assert.Null(SlaRules.Select(Policies, new SlaSubject(TicketPriority.Low, Crm, "Enterprise")));

    [Fact]
    public void DueTimesRunInBusinessHoursAndCreditTimeSpentPaused()
    {
        var policy = Policy("general");
        // Opened Monday 16:00: 1 h of first response ends at 17:00; 8 h of resolution end Tuesday 16:00.
        Assert.Equal((Monday(17), Monday(16).AddDays(1)), SlaRules.Due(Hours, policy, Monday(16)));
        // Chosen again after 90 business minutes paused: the resolution moves on by them, the first response does not.
        Assert.Equal((Monday(17), Monday(9, 30).AddDays(2)), SlaRules.Due(Hours, policy, Monday(16), creditedMinutes: 90));
    }

    /// <summary>The resolution due time after one pause, by the one rule: credit, then due again from the opening.</summary>
    private static DateTimeOffset DueAfterPause(BusinessCalendar calendar, int resolutionMinutes, DateTimeOffset opened, DateTimeOffset paused, DateTimeOffset resumed)
    {
        var policy = new SlaPolicy { FirstResponseMinutes = 60, ResolutionMinutes = resolutionMinutes };
        var due = SlaRules.Due(calendar, policy, opened).Resolution;
        return SlaRules.Due(calendar, policy, opened, SlaRules.Credit(calendar, due, paused, resumed)).Resolution;
    }

    [Fact]
    public void APauseThatEndsBeforeTheDueTimeMovesItOnByItsBusinessTime() =>
        // Opened Monday 9:00 with 8 h: due Monday 17:00. Paused 13:00 to Tuesday 11:00 (4 h + 2 h of business time): due Tuesday 15:00.
        Assert.Equal(Monday(15).AddDays(1), DueAfterPause(Hours, 480, Monday(9), Monday(13), Monday(11).AddDays(1)));

    [Fact]
    public void APauseAcrossTheDueTimeGivesBackTheTimeThatWasLeft() =>
        // Due Monday 17:00, paused 16:00 with 1 h left, resumed Wednesday 10:00: due Wednesday 11:00.
        Assert.Equal(Monday(11).AddDays(2), DueAfterPause(Hours, 480, Monday(9), Monday(16), Monday(10).AddDays(2)));

    [Fact]
    public void APauseThatBeginsAfterTheDueTimeMovesNothing()
    {
        // The case: due Friday 13:00, paused Friday 14:00, resumed Saturday: still due Friday 13:00, overdue.
        var friday = Monday(9).AddDays(-3);
        Assert.Equal(friday.AddHours(4), DueAfterPause(Hours, 240, friday, friday.AddHours(5), friday.AddDays(1)));
        // Paused at the due time itself: nothing was left, nothing is credited.
        Assert.Equal(0, SlaRules.Credit(Hours, Monday(13), Monday(13), Monday(16)));
        Assert.False(SlaRules.Stops(Monday(13), Monday(13)));
        Assert.True(SlaRules.Stops(Monday(12), Monday(13)));
    }

    [Fact]
    public void AWeekendInsideAPauseIsNotCredited() =>
        // Opened Friday 9:00 with 10 h: due Monday 11:00. Paused Friday 16:00 to Monday 10:00 (1 h + 1 h): due Monday 13:00.
        Assert.Equal(Monday(13), DueAfterPause(Hours, 600, Monday(9).AddDays(-3), Monday(16).AddDays(-3), Monday(10)));

    [Fact]
    public void AHolidayInsideAPauseIsNotCredited()
    {
        var calendar = BusinessCalendar.Weekdays(Berlin, new(9, 0), new(17, 0), [new DateOnly(2026, 11, 24)]);
        // Due Monday 17:00, paused 16:00, Tuesday a holiday, resumed Wednesday 10:00: 1 h left, due Wednesday 11:00.
        Assert.Equal(Monday(11).AddDays(2), DueAfterPause(calendar, 480, Monday(9), Monday(16), Monday(10).AddDays(2)));
        Assert.Equal(120, SlaRules.Credit(calendar, Monday(17), Monday(16), Monday(10).AddDays(2)));
    }

    [Fact]
    public void APauseAcrossTheEndOfSummerTimeCountsBusinessHoursNotWallClockHours()
    {
        // Berlin leaves summer time in the night to Sunday 25 October 2026. Opened Friday 23rd 9:00 (UTC+2) with 16 h:
        // due Monday 26th 17:00 (UTC+1). Paused Friday 16:00, resumed Monday 10:00: 2 business hours (27 wall-clock
        // hours more), so due Monday 19:00 is not a business time; it runs on to Tuesday 11:00 (UTC+1).
        var opened = new DateTimeOffset(2026, 10, 23, 9, 0, 0, TimeSpan.FromHours(2));
        var paused = new DateTimeOffset(2026, 10, 23, 16, 0, 0, TimeSpan.FromHours(2));
        var resumed = new DateTimeOffset(2026, 10, 26, 10, 0, 0, TimeSpan.FromHours(1));
        Assert.Equal(120, SlaRules.Credit(Hours, new DateTimeOffset(2026, 10, 26, 17, 0, 0, TimeSpan.FromHours(1)), paused, resumed));
        Assert.Equal(new DateTimeOffset(2026, 10, 27, 11, 0, 0, TimeSpan.FromHours(1)), DueAfterPause(Hours, 960, opened, paused, resumed));
    }

    [Fact]
    public void TimeLeftIsBusinessTimeAndNegativeOncePast()
    {
        // Friday 16:00 to Monday 10:00 is two business hours; from Monday 10:00 back to Friday 16:00 it is two hours overdue.
        var friday = Monday(16).AddDays(-3);
        Assert.Equal(TimeSpan.FromHours(2), SlaRules.Left(Hours, Monday(10), friday));
        Assert.Equal(TimeSpan.FromHours(-2), SlaRules.Left(Hours, friday, Monday(10)));
    }
}
