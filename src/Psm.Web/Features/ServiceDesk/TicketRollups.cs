using System.Buffers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Persistence;
using Psm.Web.Infrastructure.Rollups;

namespace Psm.Web.Features.ServiceDesk;

/// <summary>
/// One day of tickets for one cut (every ticket, or those of one product, service, team, agent, channel or
/// priority): counts by the day tickets were opened and resolved, and the first-response and resolution
/// times of that day as <see cref="MinuteBins"/> (ADR-015).
/// </summary>
[NotAudited]
public sealed class TicketDayRollup : IDayRollup
{
    public DateOnly Day { get; set; }
    public string Cut { get; set; } = "";
    public string Value { get; set; } = "";

    /// <summary>Opened this day; of them, under an SLA policy; of those, missing neither target; and escalated.</summary>
    public long Opened { get; set; }
    public long UnderSla { get; set; }
    public long SlaMet { get; set; }
    public long Escalated { get; set; }

    /// <summary>Resolved this day, and of them, reopened at least once.</summary>
    public long Resolved { get; set; }
    public long Reopened { get; set; }

    public byte[]? FirstResponse { get; set; }
    public byte[]? Resolution { get; set; }
}

internal sealed class TicketDayRollupConfiguration : IEntityTypeConfiguration<TicketDayRollup>
{
    public void Configure(EntityTypeBuilder<TicketDayRollup> rollup)
    {
        rollup.ToTable("TicketDayRollups");
        rollup.HasKey(r => new { r.Cut, r.Value, r.Day });
        rollup.Property(r => r.Cut).HasMaxLength(10);
        rollup.Property(r => r.Value).HasMaxLength(40);
        rollup.HasIndex(r => r.Day);
    }
}

/// <summary>
/// Business minutes in bins that merge by adding counts: tenths of a minute under an hour, whole minutes under
/// ten hours, ten minutes under a hundred hours, and so on (each bin at most 1/60 of its lower edge wide). A
/// percentile read from them is the lower edge of the bin holding the nearest-rank value: exact to the tenth under
/// an hour (as the raw figure is rounded), otherwise at most one bin width below the exact figure.
/// </summary>
public static class MinuteBins
{
    /// <summary>The bin of a time, as its lower edge in tenths of a minute.</summary>
    public static long Key(double minutes)
    {
        var tenths = (long)Math.Round(Math.Round(Math.Max(0, minutes), 1) * 10);
        return tenths - (tenths % WidthOf(tenths));
    }

    /// <summary>How far below the exact figure (rounded to the tenth) a percentile read from the bins may be, in minutes.</summary>
    public static double Width(double minutes) => minutes < 60 ? 0 : WidthOf(Key(minutes)) / 10.0;

    /// <summary>A bin's width in tenths of a minute: 1 under an hour, then ten times wider at each tenfold.</summary>
    private static long WidthOf(long tenths)
    {
        long width = 1;
        for (var edge = 600L; tenths >= edge && edge < long.MaxValue / 10; edge *= 10)
        {
            width *= 10;
        }

        return width;
    }

    /// <summary>Sorted (bin, count) pairs as varints, each bin as its distance from the one before.</summary>
    public static byte[]? Encode(Dictionary<long, long> bins)
    {
        if (bins.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(bins.Count * 4);
        var previous = 0L;
        foreach (var (key, count) in bins.OrderBy(b => b.Key))
        {
            Write(buffer, key - previous);
            Write(buffer, count);
            previous = key;
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void AddTo(Dictionary<long, long> into, byte[]? data)
    {
        var span = data.AsSpan();
        var key = 0L;
        while (!span.IsEmpty)
        {
            key += Read(ref span);
            var count = Read(ref span);
            into[key] = into.GetValueOrDefault(key) + count;
        }
    }

    /// <summary>The nearest-rank percentile (the value at position ceil(p·n)), or null without values.</summary>
    public static double? Percentile(Dictionary<long, long> bins, double p)
    {
        var n = bins.Values.Sum();
        if (n == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(p * n) - 1;
        var seen = 0L;
        foreach (var (key, count) in bins.OrderBy(b => b.Key))
        {
            seen += count;
            if (seen > rank)
            {
                return key / 10.0;
            }
        }

        return bins.Keys.Max() / 10.0;
    }

    private static void Write(ArrayBufferWriter<byte> buffer, long value)
    {
        var span = buffer.GetSpan(10);
        var i = 0;
        var v = (ulong)value;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[i++] = (byte)v;
        buffer.Advance(i);
    }

    private static long Read(ref Span<byte> span)
    {
        ulong value = 0;
        var shift = 0;
        int i;
        for (i = 0; ; i++)
        {
            var b = span[i];
            value |= (ulong)(b & 0x7F) << shift;
            shift += 7;
            if (b < 0x80)
            {
                break;
            }
        }

        span = span[(i + 1)..];
        return (long)value;
    }
}

/// <summary>The sums of any number of ticket days; merging two is adding them.</summary>
public sealed class TicketDay
{
    public long Opened;
    public long UnderSla;
    public long SlaMet;
    public long Escalated;
    public long Resolved;
    public long Reopened;
    public readonly Dictionary<long, long> FirstResponse = [];
    public readonly Dictionary<long, long> Resolution = [];

    public void Add(TicketDay other)
    {
        (Opened, UnderSla, SlaMet, Escalated, Resolved, Reopened) = (Opened + other.Opened, UnderSla + other.UnderSla, SlaMet + other.SlaMet,
            Escalated + other.Escalated, Resolved + other.Resolved, Reopened + other.Reopened);
        foreach (var (key, count) in other.FirstResponse)
        {
            FirstResponse[key] = FirstResponse.GetValueOrDefault(key) + count;
        }

        foreach (var (key, count) in other.Resolution)
        {
            Resolution[key] = Resolution.GetValueOrDefault(key) + count;
        }
    }

    public void Add(TicketDayRollup row)
    {
        (Opened, UnderSla, SlaMet, Escalated, Resolved, Reopened) = (Opened + row.Opened, UnderSla + row.UnderSla, SlaMet + row.SlaMet,
            Escalated + row.Escalated, Resolved + row.Resolved, Reopened + row.Reopened);
        MinuteBins.AddTo(FirstResponse, row.FirstResponse);
        MinuteBins.AddTo(Resolution, row.Resolution);
    }

    public TicketDayRollup ToRow(DateOnly day, string cut, string value) => new()
    {
        Day = day, Cut = cut, Value = value, Opened = Opened, UnderSla = UnderSla, SlaMet = SlaMet, Escalated = Escalated, Resolved = Resolved,
        Reopened = Reopened, FirstResponse = MinuteBins.Encode(FirstResponse), Resolution = MinuteBins.Encode(Resolution),
    };

    public static double? Rate(long hits, long total) => total == 0 ? null : Math.Round(100.0 * hits / total, 2);
}

/// <summary>Daily ticket rollups: computed from the tickets, kept by <see cref="RollupKeeper"/>, read by the service metrics.</summary>
public static class TicketRollups
{
    public const string All = "all";

    /// <summary>Beyond this many marked days in a period, a reader asks the database for the figure from the rows instead.</summary>
    private const int MostMarkedDays = 62;

    /// <summary>The one cut a query selects, or null when it selects by two or more at once (those read the rows).</summary>
    public static (string Cut, string Value)? CutOf(MetricQuery query)
    {
        var cuts = new List<(string, string)>(1);
        if (query.ProductId is { } product) cuts.Add(("product", product.ToString()));
        if (query.ServiceId is { } service) cuts.Add(("service", service.ToString()));
        if (query.TeamId is { } team) cuts.Add(("team", team.ToString()));
        if (query.AgentId is { } agent) cuts.Add(("agent", agent.ToString()));
        if (query.Channel is { } channel) cuts.Add(("channel", MetricRegistry.Cut<TicketChannel>(channel, "channel").ToString()));
        if (query.Priority is { } priority) cuts.Add(("priority", MetricRegistry.Cut<TicketPriority>(priority, "priority").ToString()));
        return cuts.Count switch { 0 => (All, ""), 1 => cuts[0], _ => null };
    }

    private static DateTimeOffset Utc(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static IEnumerable<(string Cut, string Value)> CutsOf(Guid? product, Guid? service, Guid? team, Guid? agent, TicketChannel channel, TicketPriority priority)
    {
        yield return (All, "");
        if (product is { } p) yield return ("product", p.ToString());
        if (service is { } s) yield return ("service", s.ToString());
        if (team is { } t) yield return ("team", t.ToString());
        if (agent is { } a) yield return ("agent", a.ToString());
        yield return ("channel", channel.ToString());
        yield return ("priority", priority.ToString());
    }

    /// <summary>Every cut of every day in [from, to), from the tickets themselves.</summary>
    public static async Task<Dictionary<(DateOnly Day, string Cut, string Value), TicketDay>> ComputeAsync(PsmDb db, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var (start, end) = (Utc(from), Utc(to));
        var days = new Dictionary<(DateOnly, string, string), TicketDay>();
        IEnumerable<TicketDay> At(DateTimeOffset at, Guid? product, Guid? service, Guid? team, Guid? agent, TicketChannel channel, TicketPriority priority)
        {
            var day = RollupMarks.DayOf(at);
            foreach (var (cut, value) in CutsOf(product, service, team, agent, channel, priority))
            {
                if (!days.TryGetValue((day, cut, value), out var sums))
                {
                    days[(day, cut, value)] = sums = new TicketDay();
                }

                yield return sums;
            }
        }

        var tickets = db.Tickets.AsNoTracking();
        await foreach (var t in tickets.Where(t => t.CreatedAt >= start && t.CreatedAt < end)
                           .Select(t => new
                           {
                               t.CreatedAt, t.ProductId, t.ServiceId, t.TeamId, t.AssigneeId, t.Channel, t.Priority, Sla = t.SlaPolicyId != null,
                               Met = t.FirstResponseBreachedAt == null && t.ResolutionBreachedAt == null, Escalated = t.EscalationLevel > 0,
                           })
                           .AsAsyncEnumerable().WithCancellation(ct))
        {
            foreach (var sums in At(t.CreatedAt, t.ProductId, t.ServiceId, t.TeamId, t.AssigneeId, t.Channel, t.Priority))
            {
                sums.Opened++;
                sums.UnderSla += t.Sla ? 1 : 0;
                sums.SlaMet += t.Sla && t.Met ? 1 : 0;
                sums.Escalated += t.Escalated ? 1 : 0;
            }
        }

        await foreach (var t in tickets.Where(t => t.ResolvedAt >= start && t.ResolvedAt < end)
                           .Select(t => new { ResolvedAt = t.ResolvedAt!.Value, t.ProductId, t.ServiceId, t.TeamId, t.AssigneeId, t.Channel, t.Priority, t.Reopened, t.ResolutionMinutes })
                           .AsAsyncEnumerable().WithCancellation(ct))
        {
            foreach (var sums in At(t.ResolvedAt, t.ProductId, t.ServiceId, t.TeamId, t.AssigneeId, t.Channel, t.Priority))
            {
                sums.Resolved++;
                sums.Reopened += t.Reopened > 0 ? 1 : 0;
                if (t.ResolutionMinutes is { } minutes)
                {
                    var key = MinuteBins.Key(minutes);
                    sums.Resolution[key] = sums.Resolution.GetValueOrDefault(key) + 1;
                }
            }
        }

        await foreach (var t in tickets.Where(t => t.FirstResponseAt >= start && t.FirstResponseAt < end && t.FirstResponseMinutes != null)
                           .Select(t => new { FirstResponseAt = t.FirstResponseAt!.Value, t.ProductId, t.ServiceId, t.TeamId, t.AssigneeId, t.Channel, t.Priority, Minutes = t.FirstResponseMinutes!.Value })
                           .AsAsyncEnumerable().WithCancellation(ct))
        {
            var key = MinuteBins.Key(t.Minutes);
            foreach (var sums in At(t.FirstResponseAt, t.ProductId, t.ServiceId, t.TeamId, t.AssigneeId, t.Channel, t.Priority))
            {
                sums.FirstResponse[key] = sums.FirstResponse.GetValueOrDefault(key) + 1;
            }
        }

        return days;
    }

    /// <summary>The rollup rows of the days given, from the tickets as they are now.</summary>
    public static async Task<List<TicketDayRollup>> RowsAsync(PsmDb db, IEnumerable<DateOnly> days, CancellationToken ct)
    {
        var rows = new List<TicketDayRollup>();
        foreach (var (from, to) in Rollup.Ranges(days, 31))
        {
            rows.AddRange((await ComputeAsync(db, from, to, ct)).Select(d => d.Value.ToRow(d.Key.Day, d.Key.Cut, d.Key.Value)));
        }

        return rows;
    }

    /// <summary>
    /// The sums over [from, to) for the query's cut: stored days from the rollups, marked days from the tickets.
    /// Null when the rollups cannot answer (two cuts at once, not started yet, too many marked days): the caller reads the rows.
    /// </summary>
    public static async Task<TicketDay?> ReadAsync(PsmDb db, MetricQuery query, DateOnly from, DateOnly to, bool bins, CancellationToken ct)
    {
        if (CutOf(query) is not var (cut, value) || !await Rollup.ReadyAsync(db, RollupKinds.Tickets, ct))
        {
            return null;
        }

        var marked = await Rollup.MarkedDaysAsync(db, RollupKinds.Tickets, from, to, ct);
        if (marked.Count > MostMarkedDays)
        {
            return null;
        }

        var sum = new TicketDay();
        var rows = db.TicketDayRollups.AsNoTracking().Where(r => r.Cut == cut && r.Value == value && r.Day >= from && r.Day < to);
        if (!bins)
        {
            rows = rows.Select(r => new TicketDayRollup
            {
                Day = r.Day, Opened = r.Opened, UnderSla = r.UnderSla, SlaMet = r.SlaMet, Escalated = r.Escalated, Resolved = r.Resolved, Reopened = r.Reopened,
            });
        }

        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            if (!marked.Contains(row.Day))
            {
                sum.Add(row);
            }
        }

        foreach (var (start, end) in Rollup.Ranges(marked, 31))
        {
            foreach (var ((_, c, v), sums) in await ComputeAsync(db, start, end, ct))
            {
                if (c == cut && v == value)
                {
                    sum.Add(sums);
                }
            }
        }

        return sum;
    }
}
