using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Features.Integrations;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Insights;

/// <summary>
/// When an alert fires: the figure above or below a threshold, risen or fallen by at least the threshold
/// against the period before, or changed by more than chance explains (two-sided z-test, p &lt; 0.05).
/// </summary>
public enum AlertCondition { Above, Below, RisesBy, FallsBy, SignificantChange }

/// <summary>The calendar period a rule watches: the last one complete (yesterday, last week Monday to Sunday, last month).</summary>
public enum AlertPeriod { Day, Week, Month }

/// <summary>A rule on a registry metric, with the cuts it watches; its owner is told when it fires.</summary>
public sealed class AlertRule : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public string MetricKey { get; set; } = "";
    public AlertCondition Condition { get; set; }
    public decimal? Threshold { get; set; }
    public AlertPeriod Period { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
    public string? Segment { get; set; }
    public Guid? TeamId { get; set; }
    public string? Channel { get; set; }
    public bool ByEmail { get; set; }
    public bool Enabled { get; set; } = true;
    public Guid OwnerId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the job last looked at the rule, and what it saw (for the rules list).</summary>
    public DateTimeOffset? CheckedAt { get; set; }
    public double? LastValue { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();

    public MetricQuery Query(DateOnly from, DateOnly to) =>
        new(from, to, ProductId: ProductId, ServiceId: ServiceId, Segment: Segment, TeamId: TeamId, Channel: Channel);
}

/// <summary>An alert that fired: one per rule and period at most (a unique index, so two instances cannot both fire it).</summary>
[NotAudited]
public sealed class AlertFiring
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid RuleId { get; set; }
    public AlertRule? Rule { get; set; }
    public DateOnly PeriodFrom { get; set; }
    public DateOnly PeriodTo { get; set; }
    public double Value { get; set; }
    public double? Previous { get; set; }
    public double? PValue { get; set; }
    public string Message { get; set; } = "";
    public DateTimeOffset FiredAt { get; set; }
}

public sealed class AlertRuleInput
{
    [Required(ErrorMessage = "Name the alert, e.g. NPS below 30.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Choose the metric to watch (GET /api/v1/metrics lists them).")]
    [StringLength(100, ErrorMessage = "Metric key must be at most 100 characters.")]
    public string MetricKey { get; set; } = "";

    public AlertCondition Condition { get; set; }

    /// <summary>The figure to cross (Above, Below) or the change to reach (RisesBy, FallsBy), in the metric's unit; none for SignificantChange.</summary>
    [Range(-1_000_000_000, 1_000_000_000, ErrorMessage = "Threshold must be between -1,000,000,000 and 1,000,000,000.")]
    public decimal? Threshold { get; set; }

    public AlertPeriod Period { get; set; } = AlertPeriod.Week;
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    [StringLength(200, ErrorMessage = "Segment must be at most 200 characters.")]
    public string? Segment { get; set; }

    public Guid? TeamId { get; set; }

    [StringLength(50, ErrorMessage = "Channel must be at most 50 characters.")]
    public string? Channel { get; set; }

    public bool ByEmail { get; set; }
    public bool Enabled { get; set; } = true;

    /// <summary>Required when updating: the version you read.</summary>
    public Guid? Version { get; set; }
}

public sealed record AlertRuleDto(
    Guid Id, string Name, string MetricKey, string MetricName, string Unit, AlertCondition Condition, decimal? Threshold, AlertPeriod Period,
    Guid? ProductId, Guid? ServiceId, string? Segment, Guid? TeamId, string? Channel, bool ByEmail, bool Enabled, NamedRef Owner,
    string Describe, DateTimeOffset? CheckedAt, double? LastValue, DateTimeOffset? LastFiredAt, Guid Version);

public sealed record AlertDto(
    Guid Id, Guid RuleId, string RuleName, string MetricKey, string MetricName, string Unit, string Rule, DateOnly PeriodFrom, DateOnly PeriodTo,
    double Value, double? Previous, double? PValue, string Message, DateTimeOffset FiredAt, string? DrillHref, string Definition);

/// <summary>What checking a rule found: the figure, the previous one, and whether it fired now (or had fired for this period before).</summary>
public sealed record AlertCheck(Guid RuleId, DateOnly PeriodFrom, DateOnly PeriodTo, double? Value, double? Previous, double? PValue, bool Met, AlertDto? Fired, bool AlreadyFired);

/// <summary>
/// Alert rules and what they raised. The job checks every enabled rule against its last complete period, under a lease
/// so one instance does it; a firing, the owner's notification, their mail and the <c>alert.fired</c> webhook event are
/// saved together, and the unique (rule, period) index refuses a second firing for the same period whoever tries.
/// </summary>
public sealed class Alerts(IDbContextFactory<PsmDb> dbs, MetricRegistry registry, DrillDowns drills, CurrentUser user, PublicAddress address, TimeProvider time)
{
    public const string LeaseName = "alerts";

    /// <summary>Metrics whose records make the figure as a mean or a share: a significance test applies to them.</summary>
    public static readonly IReadOnlyList<string> Testable =
        ["survey.nps", "survey.csat", "survey.ces", "commerce.churn_rate", "commerce.repeat_purchase_rate", "service.sla_compliance", "service.escalation_rate"];

    private bool SeesAll => user.Principal?.IsInRole(Roles.Admin) == true || user.Principal is null;

    private Guid Me => user.Actor.UserId ?? Guid.Empty;

    public async Task<IReadOnlyList<AlertRuleDto>> RulesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rules = db.Set<AlertRule>().AsNoTracking();
        if (!SeesAll)
        {
            var me = Me;
            rules = rules.Where(r => r.OwnerId == me);
        }

        var list = await rules.OrderBy(r => r.Name).ThenBy(r => r.Id).ToListAsync(ct);
        return await ToDtosAsync(db, list, ct);
    }

    public async Task<AlertRuleDto?> RuleAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, id, ct);
        return rule is null ? null : (await ToDtosAsync(db, [rule], ct))[0];
    }

    public async Task<AlertRuleDto> CreateAsync(AlertRuleInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rule = new AlertRule { OwnerId = Me, CreatedAt = time.GetUtcNow() };
        await ApplyAsync(db, rule, input, ct);
        db.Add(rule);
        await db.SaveChangesAsync(ct);
        return (await ToDtosAsync(db, [rule], ct))[0];
    }

    public async Task<AlertRuleDto?> UpdateAsync(Guid id, AlertRuleInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, id, ct, tracked: true);
        if (rule is null)
        {
            return null;
        }

        db.ExpectVersion(rule, input.Version);
        await ApplyAsync(db, rule, input, ct);
        await db.SaveChangesAsync(ct);
        return (await ToDtosAsync(db, [rule], ct))[0];
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, id, ct, tracked: true);
        if (rule is null)
        {
            return false;
        }

        db.Remove(rule);
        await db.SaveChangesAsync(ct);
        return true;
    }

    public async Task<Page<AlertDto>> FiredAsync(Guid? ruleId, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var firings = db.Set<AlertFiring>().AsNoTracking().Include(f => f.Rule).AsQueryable();
        if (!SeesAll)
        {
            var me = Me;
            firings = firings.Where(f => f.Rule!.OwnerId == me);
        }

        if (ruleId is { } r)
        {
            firings = firings.Where(f => f.RuleId == r);
        }

        if (page.NewestFirstAfter() is ({ } afterAt, { } afterId))
        {
            firings = firings.Seek(f => f.FiredAt, f => f.Id, afterAt, afterId, descending: true);
        }

        var fetched = await firings.OrderByDescending(f => f.FiredAt).ThenByDescending(f => f.Id).Take(page.Limit + 1).ToListAsync(ct);
        return page.ToPage(fetched.Select(ToDto).ToList(), a => PageRequest.NewestFirstKey(a.FiredAt, a.Id));
    }

    public async Task<AlertDto?> FiringAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var firing = await db.Set<AlertFiring>().AsNoTracking().Include(f => f.Rule).SingleOrDefaultAsync(f => f.Id == id, ct);
        return firing is null || (!SeesAll && firing.Rule!.OwnerId != Me) ? null : ToDto(firing);
    }

    /// <summary>Checks one rule now (its owner or an admin asks), firing it if its condition holds for its last complete period.</summary>
    public async Task<AlertCheck?> CheckAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, id, ct);
        return rule is null ? null : await CheckRuleAsync(db, rule, ct);
    }

    /// <summary>The job's run: every enabled rule, once across instances (the lease), each firing at most once per period (the index).</summary>
    public async Task<int> CheckAllAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await Leases.TryTakeAsync(db, LeaseName, Leases.ThisInstance, TimeSpan.FromMinutes(5), time.GetUtcNow(), ct))
        {
            return 0;
        }

        var fired = 0;
        var renewed = time.GetUtcNow();
        // The rules as they stand when the run starts; a rule edited meanwhile is checked as it was, and next time as it is.
        foreach (var rule in await db.Set<AlertRule>().AsNoTracking().Where(r => r.Enabled).OrderBy(r => r.Id).ToListAsync(ct))
        {
            db.ChangeTracker.Clear();
            try
            {
                if ((await CheckRuleAsync(db, rule, ct)).Fired is not null)
                {
                    fired++;
                }
            }
            catch (RequestValidationException)
            {
                // A cut that no longer exists (a deleted segment): the rule is skipped, and its page says when it was last checked.
            }

            if (time.GetUtcNow() - renewed > TimeSpan.FromMinutes(1))
            {
                renewed = time.GetUtcNow();
                await Leases.TryTakeAsync(db, LeaseName, Leases.ThisInstance, TimeSpan.FromMinutes(5), renewed, ct);
            }
        }

        await Leases.ReleaseAsync(db, LeaseName, Leases.ThisInstance, ct);
        return fired;
    }

    /// <summary>The last complete period of a rule's kind before today, and the one before it.</summary>
    public static (DateOnly From, DateOnly To, DateOnly PreviousFrom) LastComplete(AlertPeriod period, DateOnly today) => period switch
    {
        AlertPeriod.Day => (today.AddDays(-1), today, today.AddDays(-2)),
        AlertPeriod.Week => (Buckets.StartOf(today, Granularity.Week).AddDays(-7), Buckets.StartOf(today, Granularity.Week), Buckets.StartOf(today, Granularity.Week).AddDays(-14)),
        _ => (Buckets.StartOf(today, Granularity.Month).AddMonths(-1), Buckets.StartOf(today, Granularity.Month), Buckets.StartOf(today, Granularity.Month).AddMonths(-2)),
    };

    private async Task<AlertCheck> CheckRuleAsync(PsmDb db, AlertRule rule, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (from, to, previousFrom) = LastComplete(rule.Period, DateOnly.FromDateTime(now.UtcDateTime));
        var query = rule.Query(from, to);
        var value = await registry.EvaluateAsync(rule.MetricKey, query, ct);
        double? previous = null, p = null;
        if (rule.Condition is AlertCondition.RisesBy or AlertCondition.FallsBy or AlertCondition.SignificantChange)
        {
            previous = await registry.EvaluateAsync(rule.MetricKey, rule.Query(previousFrom, from), ct);
        }

        if (rule.Condition == AlertCondition.SignificantChange && value is not null && previous is not null)
        {
            p = (await drills.ChangeAsync(rule.MetricKey, rule.Query(previousFrom, from), query, ct)).Test?.PValue;
        }

        var threshold = (double?)rule.Threshold;
        var met = value is { } v && rule.Condition switch
        {
            AlertCondition.Above => v > threshold,
            AlertCondition.Below => v < threshold,
            AlertCondition.RisesBy => previous is { } a && v - a >= threshold,
            AlertCondition.FallsBy => previous is { } b && b - v >= threshold,
            _ => p < 0.05,
        };
        // What the job saw, for the rules list: written straight, as it is no edit of the rule (no audit entry, no new version).
        await db.Set<AlertRule>().Where(r => r.Id == rule.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.CheckedAt, now).SetProperty(r => r.LastValue, value), ct);
        if (!met)
        {
            return new AlertCheck(rule.Id, from, to, value, previous, p, false, null, false);
        }

        if (await db.AlertFirings.AnyAsync(f => f.RuleId == rule.Id && f.PeriodFrom == from, ct))
        {
            return new AlertCheck(rule.Id, from, to, value, previous, p, true, null, true);
        }

        var definition = registry.Find(rule.MetricKey)!;
        var firing = new AlertFiring
        {
            RuleId = rule.Id, PeriodFrom = from, PeriodTo = to, Value = value!.Value, Previous = previous, PValue = p, FiredAt = now,
            Message = $"{rule.Name}: {definition.Name} was {FigureText.Format(value, definition.Unit)} from {from:d MMM} to {to.AddDays(-1):d MMM yyyy}" +
                      (previous is { } before2 ? $" (the {Describe(rule.Period)} before: {FigureText.Format(before2, definition.Unit)})" : "") + ".",
        };
        db.Add(firing);
        var link = $"/insights/alerts/{firing.Id}";
        await Account.Notifications.NotifyAsync(db, rule.OwnerId, firing.Message, link, now, address.Base, ct, byEmail: rule.ByEmail);

        db.WebhookEvents.Add(new WebhookEvent
        {
            Type = EventTypes.AlertFired, OccurredAt = now,
            Data = EventTypes.Serialize(new
            {
                alertId = firing.Id, ruleId = rule.Id, rule = rule.Name, metric = rule.MetricKey, rule.Condition, threshold = rule.Threshold,
                periodFrom = from, periodTo = to, value, previous, pValue = p, path = link,
            }),
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (!await AlreadyFiredAsync(rule.Id, from, ct))
            {
                if (!await db.Set<AlertRule>().AnyAsync(r => r.Id == rule.Id, ct))
                {
                    // Deleted while the job checked it: nothing to tell anyone.
                    return new AlertCheck(rule.Id, from, to, value, previous, p, true, null, false);
                }

                throw;
            }

            // Fired for this period already (by another check or instance): nothing of this attempt is saved.
            return new AlertCheck(rule.Id, from, to, value, previous, p, true, null, true);
        }

        firing.Rule = rule;
        return new AlertCheck(rule.Id, from, to, value, previous, p, true, ToDto(firing), false);
    }

    private async Task<bool> AlreadyFiredAsync(Guid ruleId, DateOnly from, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Set<AlertFiring>().AnyAsync(f => f.RuleId == ruleId && f.PeriodFrom == from, ct);
    }

    private async Task<AlertRule?> FindAsync(PsmDb db, Guid id, CancellationToken ct, bool tracked = false)
    {
        var rules = tracked ? db.Set<AlertRule>() : db.Set<AlertRule>().AsNoTracking();
        var rule = await rules.SingleOrDefaultAsync(r => r.Id == id, ct);
        return rule is null || (!SeesAll && rule.OwnerId != Me) ? null : rule;
    }

    private async Task ApplyAsync(PsmDb db, AlertRule rule, AlertRuleInput input, CancellationToken ct)
    {
        var errors = new List<(string, string)>();
        var key = input.MetricKey.Trim();
        if (registry.Find(key) is null)
        {
            errors.Add(("metricKey", $"There is no metric '{key}'; GET /api/v1/metrics lists them."));
        }

        if (!Enum.IsDefined(input.Condition))
        {
            errors.Add(("condition", $"Condition must be one of {string.Join(", ", Enum.GetNames<AlertCondition>())}."));
        }

        if (!Enum.IsDefined(input.Period))
        {
            errors.Add(("period", $"Period must be one of {string.Join(", ", Enum.GetNames<AlertPeriod>())}."));
        }

        if (input.Condition == AlertCondition.SignificantChange)
        {
            if (input.Threshold is not null)
            {
                errors.Add(("threshold", "A significant-change alert takes no threshold: the test decides."));
            }

            if (registry.Find(key) is not null && !Testable.Contains(key))
            {
                errors.Add(("condition", $"A significance test applies only to a mean or a share of records: {string.Join(", ", Testable)}."));
            }
        }
        else if (input.Threshold is null)
        {
            errors.Add(("threshold", "Give the threshold, in the metric's unit."));
        }
        else if (input.Condition is AlertCondition.RisesBy or AlertCondition.FallsBy && input.Threshold <= 0)
        {
            errors.Add(("threshold", "A change to watch for must be above zero."));
        }

        RequestValidationException.ThrowIfAny(errors);
        var candidate = new AlertRule
        {
            ProductId = input.ProductId, ServiceId = input.ServiceId, Segment = Blank(input.Segment), TeamId = input.TeamId, Channel = Blank(input.Channel),
        };
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        // The registry names the cut a metric cannot take; evaluating once finds a channel or segment that does not exist.
        registry.Check(key, candidate.Query(today.AddDays(-1), today));
        await registry.EvaluateAsync(key, candidate.Query(today.AddDays(-1), today), ct);
        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct))
        {
            throw new RequestValidationException("productId", "There is no such product.");
        }

        if (input.ServiceId is { } service && !await db.Services.AnyAsync(s => s.Id == service, ct))
        {
            throw new RequestValidationException("serviceId", "There is no such service.");
        }

        if (input.TeamId is { } team && !await db.Teams.AnyAsync(t => t.Id == team, ct))
        {
            throw new RequestValidationException("teamId", "There is no such team.");
        }

        rule.Name = input.Name.Trim();
        rule.MetricKey = key;
        rule.Condition = input.Condition;
        rule.Threshold = input.Threshold;
        rule.Period = input.Period;
        (rule.ProductId, rule.ServiceId, rule.Segment, rule.TeamId, rule.Channel) = (candidate.ProductId, candidate.ServiceId, candidate.Segment, candidate.TeamId, candidate.Channel);
        rule.ByEmail = input.ByEmail;
        rule.Enabled = input.Enabled;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Describe(AlertPeriod period) => period switch { AlertPeriod.Day => "day", AlertPeriod.Week => "week", _ => "month" };

    /// <summary>The rule in words: "NPS below 30 over the last complete week".</summary>
    public static string Describe(AlertRule rule, MetricDefinition? definition)
    {
        var unit = definition?.Unit ?? "";
        var name = definition?.Name ?? rule.MetricKey;
        var threshold = rule.Threshold is { } t ? (double)t : 0;
        var what = rule.Condition switch
        {
            AlertCondition.Above => $"{name} above {FigureText.Format(threshold, unit)}",
            AlertCondition.Below => $"{name} below {FigureText.Format(threshold, unit)}",
            AlertCondition.RisesBy => $"{name} up by {FigureText.Change(threshold, unit).TrimStart('+')} or more on the {Describe(rule.Period)} before",
            AlertCondition.FallsBy => $"{name} down by {FigureText.Change(threshold, unit).TrimStart('+')} or more on the {Describe(rule.Period)} before",
            _ => $"{name} changed significantly (p < 0.05) against the {Describe(rule.Period)} before",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{what}, each complete {Describe(rule.Period)}");
    }

    private AlertDto ToDto(AlertFiring f)
    {
        var definition = registry.Find(f.Rule!.MetricKey);
        var drill = DrillDowns.Has(f.Rule.MetricKey)
            ? $"/insights/drill/{f.Rule.MetricKey}?from={f.PeriodFrom:yyyy-MM-dd}&to={f.PeriodTo:yyyy-MM-dd}{Cuts(f.Rule)}"
            : null;
        return new AlertDto(f.Id, f.RuleId, f.Rule.Name, f.Rule.MetricKey, definition?.Name ?? f.Rule.MetricKey, definition?.Unit ?? "", Describe(f.Rule, definition),
            f.PeriodFrom, f.PeriodTo, f.Value, f.Previous, f.PValue, f.Message, f.FiredAt, drill, definition?.Description ?? "");
    }

    /// <summary>The rule's cuts as query-string parameters, for the drill-down.</summary>
    public static string Cuts(AlertRule r) =>
        (r.ProductId is { } p ? $"&productId={p}" : "") + (r.ServiceId is { } s ? $"&serviceId={s}" : "") +
        (r.Segment is { } g ? $"&segment={Uri.EscapeDataString(g)}" : "") + (r.TeamId is { } t ? $"&teamId={t}" : "") +
        (r.Channel is { } c ? $"&channel={Uri.EscapeDataString(c)}" : "");

    private async Task<List<AlertRuleDto>> ToDtosAsync(PsmDb db, List<AlertRule> rules, CancellationToken ct)
    {
        var ids = rules.Select(r => r.Id).ToList();
        var owners = rules.Select(r => r.OwnerId).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => owners.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var last = await db.Set<AlertFiring>().AsNoTracking().Where(f => ids.Contains(f.RuleId)).GroupBy(f => f.RuleId)
            .Select(g => new { g.Key, At = g.Max(f => f.FiredAt) }).ToDictionaryAsync(x => x.Key, x => x.At, ct);
        return rules.Select(r =>
        {
            var definition = registry.Find(r.MetricKey);
            return new AlertRuleDto(r.Id, r.Name, r.MetricKey, definition?.Name ?? r.MetricKey, definition?.Unit ?? "", r.Condition, r.Threshold, r.Period,
                r.ProductId, r.ServiceId, r.Segment, r.TeamId, r.Channel, r.ByEmail, r.Enabled, new NamedRef(r.OwnerId, names.GetValueOrDefault(r.OwnerId, "(removed)")),
                Describe(r, definition), r.CheckedAt, r.LastValue, last.TryGetValue(r.Id, out var at) ? at : null, r.Version);
        }).ToList();
    }
}

/// <summary>Checks every enabled alert rule every <c>Alerts:Seconds</c> (300 by default; 0 turns it off).</summary>
public sealed class AlertJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<AlertJob> logger) : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(config.GetValue("Alerts:Seconds", 300.0));

    protected override string What => "Checking alert rules";

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) => services.GetRequiredService<Alerts>().CheckAllAsync(ct);
}

internal sealed class AlertConfiguration : IEntityTypeConfiguration<AlertRule>, IEntityTypeConfiguration<AlertFiring>
{
    public void Configure(EntityTypeBuilder<AlertRule> rule)
    {
        rule.ToTable("AlertRules");
        rule.Property(r => r.Name).HasMaxLength(200);
        rule.Property(r => r.MetricKey).HasMaxLength(100);
        rule.Property(r => r.Segment).HasMaxLength(200);
        rule.Property(r => r.Channel).HasMaxLength(50);
        rule.Property(r => r.Condition).HasConversion<string>().HasMaxLength(30);
        rule.Property(r => r.Period).HasConversion<string>().HasMaxLength(10);
        rule.Property(r => r.Threshold).HasPrecision(18, 4);
        rule.HasIndex(r => r.OwnerId);
    }

    public void Configure(EntityTypeBuilder<AlertFiring> firing)
    {
        firing.ToTable("AlertFirings");
        firing.Property(f => f.Message).HasMaxLength(1000);
        firing.HasOne(f => f.Rule).WithMany().HasForeignKey(f => f.RuleId).OnDelete(DeleteBehavior.Cascade);
        firing.HasIndex(f => new { f.RuleId, f.PeriodFrom }).IsUnique();
        firing.HasIndex(f => f.FiredAt);
    }
}
