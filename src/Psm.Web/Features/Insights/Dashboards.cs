using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Insights;

public enum ChartKind { Line, Bar, Figure }

/// <summary>A board someone built from registry metrics; shared with roles, or by a revocable read-only link.</summary>
public sealed class CustomDashboard : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public Guid OwnerId { get; set; }

    /// <summary>The roles that may read it, comma-separated.</summary>
    public string SharedWith { get; set; } = "";
    public string? ShareToken { get; set; }
    public List<DashboardChart> Charts { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>One chart: a metric, its cuts, how many months back, by week, month or quarter, drawn as a line, bars or one figure.</summary>
public sealed class DashboardChart
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid DashboardId { get; set; }
    public string Title { get; set; } = "";
    public string MetricKey { get; set; } = "";
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
    public string? Segment { get; set; }
    public Guid? TeamId { get; set; }
    public string? Channel { get; set; }
    public int Months { get; set; } = 12;
    public Granularity Granularity { get; set; } = Granularity.Month;
    public ChartKind Kind { get; set; }
    public int Position { get; set; }
}

public sealed class DashboardInput
{
    [Required(ErrorMessage = "Name the dashboard.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    /// <summary>Roles that may read it (its owner always may).</summary>
    public List<string> SharedWith { get; set; } = [];

    /// <summary>Required when updating: the version you read.</summary>
    public Guid? Version { get; set; }
}

public sealed class ChartInput
{
    [StringLength(200, ErrorMessage = "Title must be at most 200 characters.")]
    public string? Title { get; set; }

    [Required(ErrorMessage = "Choose the metric (GET /api/v1/metrics lists them).")]
    [StringLength(100, ErrorMessage = "Metric key must be at most 100 characters.")]
    public string MetricKey { get; set; } = "";

    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    [StringLength(200, ErrorMessage = "Segment must be at most 200 characters.")]
    public string? Segment { get; set; }

    public Guid? TeamId { get; set; }

    [StringLength(50, ErrorMessage = "Channel must be at most 50 characters.")]
    public string? Channel { get; set; }

    [Range(1, 36, ErrorMessage = "Months must be between 1 and 36.")]
    public int Months { get; set; } = 12;

    public Granularity Granularity { get; set; } = Granularity.Month;
    public ChartKind Kind { get; set; } = ChartKind.Line;
}

public sealed record ChartDto(
    Guid Id, string Title, string MetricKey, string MetricName, string Unit, string Definition, Guid? ProductId, Guid? ServiceId, string? Segment, Guid? TeamId,
    string? Channel, int Months, Granularity Granularity, ChartKind Kind, DateOnly From, DateOnly To, double? Value, IReadOnlyList<MetricPoint> Points);

public sealed record DashboardDto(
    Guid Id, string Name, NamedRef Owner, IReadOnlyList<string> SharedWith, string? ShareLink, bool CanEdit, IReadOnlyList<ChartDto> Charts, Guid Version);

public sealed record DashboardSummaryDto(Guid Id, string Name, NamedRef Owner, int Charts, IReadOnlyList<string> SharedWith, bool Shared);

/// <summary>
/// Custom dashboards: whoever builds one owns it and may share it with roles or through a link anyone can read without signing
/// in until it is revoked. Every chart is a registry metric over whole weeks, months or quarters ending with the current one.
/// </summary>
public sealed class Dashboards(
    IDbContextFactory<PsmDb> dbs, MetricRegistry registry, [FromKeyedServices(MetricRegistry.Reporting)] MetricRegistry figures, CurrentUser user,
    TimeProvider time)
{
    private Guid Me => user.Actor.UserId ?? Guid.Empty;

    private bool IsAdmin => user.Principal?.IsInRole(Roles.Admin) == true;

    private IEnumerable<string> MyRoles => Roles.All.Where(r => user.Principal?.IsInRole(r) == true);

    public async Task<IReadOnlyList<DashboardSummaryDto>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var boards = await db.CustomDashboards.AsNoTracking().Select(d => new { d.Id, d.Name, d.OwnerId, d.SharedWith, Charts = d.Charts.Count })
            .OrderBy(d => d.Name).ToListAsync(ct);
        var visible = boards.Where(d => d.OwnerId == Me || IsAdmin || RolesIn(d.SharedWith).Intersect(MyRoles).Any()).ToList();
        var owners = await OwnersAsync(db, visible.Select(d => d.OwnerId), ct);
        return visible.Select(d => new DashboardSummaryDto(d.Id, d.Name, new NamedRef(d.OwnerId, owners.GetValueOrDefault(d.OwnerId, "(removed)")), d.Charts,
            RolesIn(d.SharedWith), d.OwnerId != Me)).ToList();
    }

    public async Task<DashboardDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await db.CustomDashboards.AsNoTracking().Include(d => d.Charts).SingleOrDefaultAsync(d => d.Id == id, ct);
        return board is null || !CanRead(board) ? null : await ToDtoAsync(db, board, ct);
    }

    /// <summary>A board through its link, for anyone; null when there is no such link (never made, or revoked).</summary>
    public async Task<DashboardDto?> SharedAsync(string token, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64)
        {
            return null;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await db.CustomDashboards.AsNoTracking().Include(d => d.Charts).SingleOrDefaultAsync(d => d.ShareToken == token, ct);
        return board is null ? null : (await ToDtoAsync(db, board, ct)) with { ShareLink = null, CanEdit = false, SharedWith = [] };
    }

    public async Task<DashboardDto> CreateAsync(DashboardInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = new CustomDashboard { OwnerId = Me, CreatedAt = time.GetUtcNow() };
        Apply(board, input);
        db.CustomDashboards.Add(board);
        await db.SaveChangesAsync(ct);
        return await ToDtoAsync(db, board, ct);
    }

    public async Task<DashboardDto?> UpdateAsync(Guid id, DashboardInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await EditableAsync(db, id, ct);
        if (board is null)
        {
            return null;
        }

        db.ExpectVersion(board, input.Version);
        Apply(board, input);
        await db.SaveChangesAsync(ct);
        return await ToDtoAsync(db, board, ct);
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await EditableAsync(db, id, ct);
        if (board is null)
        {
            return false;
        }

        db.Remove(board);
        await db.SaveChangesAsync(ct);
        return true;
    }

    public async Task<DashboardDto?> AddChartAsync(Guid id, ChartInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await EditableAsync(db, id, ct);
        if (board is null)
        {
            return null;
        }

        var key = input.MetricKey.Trim();
        var definition = registry.Find(key) ?? throw new RequestValidationException("metricKey", $"There is no metric '{key}'; GET /api/v1/metrics lists them.");
        if (!Enum.IsDefined(input.Granularity)) throw new RequestValidationException("granularity", "Granularity must be Week, Month or Quarter.");
        if (!Enum.IsDefined(input.Kind)) throw new RequestValidationException("kind", "Kind must be Line, Bar or Figure.");
        if (board.Charts.Count >= 24) throw new RequestValidationException("metricKey", "A dashboard holds at most 24 charts.");
        var chart = new DashboardChart
        {
            DashboardId = board.Id, Title = string.IsNullOrWhiteSpace(input.Title) ? definition.Name : input.Title.Trim(), MetricKey = key, ProductId = input.ProductId,
            ServiceId = input.ServiceId, Segment = Blank(input.Segment), TeamId = input.TeamId, Channel = Blank(input.Channel), Months = input.Months,
            Granularity = input.Granularity, Kind = input.Kind, Position = board.Charts.Count == 0 ? 0 : board.Charts.Max(c => c.Position) + 1,
        };
        // The registry names a cut the metric cannot take; evaluating once finds a segment or channel that does not exist.
        var (from, to) = Period(chart);
        registry.Check(key, Query(chart, from, to));
        await registry.EvaluateAsync(key, Query(chart, to.AddDays(-1), to), ct);
        // Tracked with its board, the chart joins board.Charts when added.
        db.Add(chart);
        await db.SaveChangesAsync(ct);
        return await ToDtoAsync(db, board, ct);
    }

    public async Task<bool> RemoveChartAsync(Guid id, Guid chartId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await EditableAsync(db, id, ct);
        return board is not null && await db.DashboardCharts.Where(c => c.Id == chartId && c.DashboardId == id).ExecuteDeleteAsync(ct) == 1;
    }

    /// <summary>Makes (or gives again) the board's read-only link.</summary>
    public async Task<DashboardDto?> LinkAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await EditableAsync(db, id, ct);
        if (board is null)
        {
            return null;
        }

        board.ShareToken ??= Survey.NewToken();
        await db.SaveChangesAsync(ct);
        return await ToDtoAsync(db, board, ct);
    }

    public async Task<DashboardDto?> RevokeLinkAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var board = await EditableAsync(db, id, ct);
        if (board is null)
        {
            return null;
        }

        board.ShareToken = null;
        await db.SaveChangesAsync(ct);
        return await ToDtoAsync(db, board, ct);
    }

    /// <summary>The whole weeks, months or quarters a chart covers, the current one included.</summary>
    public (DateOnly From, DateOnly To) Period(DashboardChart chart)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var to = Buckets.Next(Buckets.StartOf(today, chart.Granularity), chart.Granularity);
        return (Buckets.StartOf(today.AddMonths(-(chart.Months - 1)), chart.Granularity) is var start && start < to ? start : to.AddDays(-1), to);
    }

    private static MetricQuery Query(DashboardChart c, DateOnly from, DateOnly to) =>
        new(from, to, ProductId: c.ProductId, ServiceId: c.ServiceId, Segment: c.Segment, TeamId: c.TeamId, Channel: c.Channel);

    private bool CanRead(CustomDashboard board) => board.OwnerId == Me || IsAdmin || RolesIn(board.SharedWith).Intersect(MyRoles).Any();

    private async Task<CustomDashboard?> EditableAsync(PsmDb db, Guid id, CancellationToken ct)
    {
        var board = await db.CustomDashboards.Include(d => d.Charts).SingleOrDefaultAsync(d => d.Id == id, ct);
        return board is not null && (board.OwnerId == Me || IsAdmin) ? board : null;
    }

    private static void Apply(CustomDashboard board, DashboardInput input)
    {
        var unknown = input.SharedWith.Where(r => !Roles.All.Contains(r)).ToList();
        if (unknown.Count > 0)
        {
            throw new RequestValidationException("sharedWith", $"No such role: {string.Join(", ", unknown)}; the roles are {string.Join(", ", Roles.All)}.");
        }

        board.Name = input.Name.Trim();
        board.SharedWith = string.Join(',', input.SharedWith.Distinct().Order(StringComparer.Ordinal));
    }

    private static List<string> RolesIn(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static Task<Dictionary<Guid, string>> OwnersAsync(PsmDb db, IEnumerable<Guid> ids, CancellationToken ct)
    {
        var list = ids.Distinct().ToList();
        return db.Users.AsNoTracking().Where(u => list.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
    }

    private async Task<DashboardDto> ToDtoAsync(PsmDb db, CustomDashboard board, CancellationToken ct)
    {
        var charts = new List<ChartDto>();
        foreach (var c in board.Charts.OrderBy(c => c.Position))
        {
            var definition = registry.Find(c.MetricKey);
            var (from, to) = Period(c);
            double? value = null;
            IReadOnlyList<MetricPoint> points = [];
            try
            {
                // Shown figures read the replica when one is configured; the check when a chart is added reads the primary.
                points = await figures.SeriesAsync(c.MetricKey, Query(c, from, to), c.Granularity, ct);
                value = c.Kind == ChartKind.Figure ? await figures.EvaluateAsync(c.MetricKey, Query(c, from, to), ct) : null;
            }
            catch (RequestValidationException)
            {
                // A cut that no longer exists (a deleted segment): the chart shows no data rather than failing the board.
            }

            charts.Add(new ChartDto(c.Id, c.Title, c.MetricKey, definition?.Name ?? c.MetricKey, definition?.Unit ?? "", definition?.Description ?? "", c.ProductId,
                c.ServiceId, c.Segment, c.TeamId, c.Channel, c.Months, c.Granularity, c.Kind, from, to, value, points));
        }

        var owners = await OwnersAsync(db, [board.OwnerId], ct);
        return new DashboardDto(board.Id, board.Name, new NamedRef(board.OwnerId, owners.GetValueOrDefault(board.OwnerId, "(removed)")), RolesIn(board.SharedWith),
            board.ShareToken is { } token ? $"/d/{token}" : null, board.OwnerId == Me || IsAdmin, charts, board.Version);
    }

    /// <summary>A chart's points as CSV rows: period start, value.</summary>
    public static async IAsyncEnumerable<string?[]> CsvRows(ChartDto chart)
    {
        await Task.CompletedTask;
        foreach (var p in chart.Points)
        {
            yield return [p.Bucket.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), p.Value?.ToString("0.####", CultureInfo.InvariantCulture)];
        }
    }
}

internal sealed class DashboardConfiguration : IEntityTypeConfiguration<CustomDashboard>, IEntityTypeConfiguration<DashboardChart>
{
    public void Configure(EntityTypeBuilder<CustomDashboard> board)
    {
        board.ToTable("CustomDashboards");
        board.Property(d => d.Name).HasMaxLength(200);
        board.Property(d => d.SharedWith).HasMaxLength(200);
        board.Property(d => d.ShareToken).HasMaxLength(64);
        board.HasIndex(d => d.ShareToken).IsUnique();
        board.HasIndex(d => d.OwnerId);
        board.HasMany(d => d.Charts).WithOne().HasForeignKey(c => c.DashboardId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<DashboardChart> chart)
    {
        chart.ToTable("DashboardCharts");
        chart.Property(c => c.Title).HasMaxLength(200);
        chart.Property(c => c.MetricKey).HasMaxLength(100);
        chart.Property(c => c.Segment).HasMaxLength(200);
        chart.Property(c => c.Channel).HasMaxLength(50);
        chart.Property(c => c.Granularity).HasConversion<string>().HasMaxLength(10);
        chart.Property(c => c.Kind).HasConversion<string>().HasMaxLength(10);
    }
}
