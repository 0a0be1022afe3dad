namespace Psm.Web.Features.ServiceDesk;

/// <summary>
/// Working time in one time zone: opening hours per weekday and holidays. SLA clocks run only inside
/// it. All arithmetic walks local calendar days and converts each working window to UTC through the
/// time zone, so daylight-saving changes shorten or lengthen the day exactly as the wall clock does.
/// </summary>
public sealed class BusinessCalendar
{
    private readonly TimeZoneInfo zone;
    private readonly IReadOnlyDictionary<DayOfWeek, (TimeOnly Open, TimeOnly Close)> hours;
    private readonly HashSet<DateOnly> holidays;

    public BusinessCalendar(TimeZoneInfo zone, IReadOnlyDictionary<DayOfWeek, (TimeOnly Open, TimeOnly Close)> hours, IEnumerable<DateOnly> holidays)
    {
        if (hours.Values.Any(h => h.Close <= h.Open))
        {
            throw new ArgumentException("Each working day must close after it opens.", nameof(hours));
        }

        if (hours.Count == 0)
        {
            throw new ArgumentException("A calendar needs at least one working day.", nameof(hours));
        }

        this.zone = zone;
        this.hours = hours;
        this.holidays = holidays.ToHashSet();
    }

    /// <summary>Monday to Friday, the same hours each day.</summary>
    public static BusinessCalendar Weekdays(TimeZoneInfo zone, TimeOnly open, TimeOnly close, IEnumerable<DateOnly>? holidays = null) =>
        new(zone, new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .ToDictionary(d => d, _ => (open, close)), holidays ?? []);

    /// <summary>The moment <paramref name="duration"/> of working time after <paramref name="start"/> has elapsed.</summary>
    public DateTimeOffset Add(DateTimeOffset start, TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "Working time cannot be negative.");
        }

        var left = duration;
        foreach (var (open, close) in WindowsFrom(start))
        {
            var from = open > start ? open : start;
            if (from >= close)
            {
                continue;
            }

            var available = close - from;
            if (left <= available)
            {
                return from + left;
            }

            left -= available;
        }

        throw new InvalidOperationException("The calendar has no working time left.");
    }

    /// <summary>Working time between two moments (zero when <paramref name="to"/> is not after <paramref name="from"/>).</summary>
    public TimeSpan Between(DateTimeOffset from, DateTimeOffset to)
    {
        var total = TimeSpan.Zero;
        if (to <= from)
        {
            return total;
        }

        foreach (var (open, close) in WindowsFrom(from))
        {
            if (open >= to)
            {
                break;
            }

            var start = open > from ? open : from;
            var end = close < to ? close : to;
            if (end > start)
            {
                total += end - start;
            }
        }

        return total;
    }

    public bool IsWorking(DateTimeOffset moment) =>
        WindowsFrom(moment).Take(1).Any(w => w.Open <= moment && moment < w.Close);

    /// <summary>Working windows in UTC, in order, from the local day that holds <paramref name="start"/> onwards (ten years at most).</summary>
    private IEnumerable<(DateTimeOffset Open, DateTimeOffset Close)> WindowsFrom(DateTimeOffset start)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
        for (var i = 0; i < 3660; i++, day = day.AddDays(1))
        {
            if (holidays.Contains(day) || !hours.TryGetValue(day.DayOfWeek, out var h))
            {
                continue;
            }

            var open = ToUtc(day.ToDateTime(h.Open));
            var close = ToUtc(day.ToDateTime(h.Close));
            if (close > start)
            {
                yield return (open, close);
            }
        }
    }

    /// <summary>A local wall-clock time to UTC. A time skipped by a spring-forward change moves to the hour after; an ambiguous one takes the first.</summary>
    private DateTimeOffset ToUtc(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
