using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Strategy;

public static class StrategyApi
{
    public static RouteGroupBuilder MapStrategyApi(this RouteGroupBuilder api)
    {
        var objectives = api.MapGroup("/objectives").WithTags("Strategy");
        objectives.MapGet("/", List).WithName("ListObjectives")
            .WithSummary("Lists objectives with progress and at-risk, filtered by type, status, owner or day, one page at a time.");
        objectives.MapGet("/export.csv", Export).WithName("ExportObjectives").ReadsFromReplica().WithSummary("Exports matching objectives with progress as CSV.");
        objectives.MapGet("/{id:guid}", Get).WithName("GetObjective")
            .WithSummary("Gets an objective with its key results, check-ins, progress and SMART check.");
        objectives.MapGet("/{id:guid}/smart", Smart).WithName("GetObjectiveSmartCheck").WithSummary("The SMART check of an objective.");
        objectives.MapPost("/", Create).WithName("CreateObjective").WithSummary("Creates an objective as a Draft.")
            .RequireAuthorization(Permissions.StrategyManage);
        objectives.MapPut("/{id:guid}", Update).WithName("UpdateObjective").WithSummary("Updates an objective; send the version you read.")
            .RequireAuthorization(Permissions.StrategyManage);
        objectives.MapPost("/{id:guid}/activate", Activate).WithName("ActivateObjective")
            .WithSummary("Activates an objective; if the SMART check fails, returns the failures unless confirmSmartFailures is true.")
            .RequireAuthorization(Permissions.StrategyManage);
        objectives.MapPost("/{id:guid}/status/{status}", SetStatus).WithName("SetObjectiveStatus")
            .WithSummary("Marks an objective Achieved, Missed or Archived (or back to Draft).").RequireAuthorization(Permissions.StrategyManage);
        objectives.MapPost("/{id:guid}/key-results", AddKeyResult).WithName("AddKeyResult")
            .WithSummary("Adds a key result: a manual metric or one from the metric registry.").RequireAuthorization(Permissions.StrategyManage);

        var keyResults = api.MapGroup("/key-results").WithTags("Strategy");
        keyResults.MapPut("/{id:guid}", UpdateKeyResult).WithName("UpdateKeyResult")
            .WithSummary("Updates a key result; send the version you read.").RequireAuthorization(Permissions.StrategyManage);
        keyResults.MapDelete("/{id:guid}", DeleteKeyResult).WithName("DeleteKeyResult")
            .WithSummary("Removes a key result and its check-ins.").RequireAuthorization(Permissions.StrategyManage);
        keyResults.MapPost("/{id:guid}/check-ins", CheckIn).WithName("CheckIn")
            .WithSummary("Records a check-in: the value (manual metrics only), confidence and a note.").RequireAuthorization(Permissions.StrategyManage);

        var metrics = api.MapGroup("/metrics").WithTags("Metrics");
        metrics.MapGet("/", (MetricRegistry registry) => TypedResults.Ok(registry.Definitions)).WithName("ListMetrics")
            .WithSummary("Every metric areas register: key, unit, better direction, dimensions and its definition.");
        metrics.MapGet("/{key}/value", Evaluate).WithName("EvaluateMetric")
            .WithSummary("Evaluates a metric for a period [from, to) and the cuts it takes (product, service, plan, segment, ...).")
            .WithDescription(string.Join("\n\n", new[]
            {
                "Each metric's definition is in its `description` (GET /api/v1/metrics). The commerce metrics:",
                Commerce.CommerceRules.ChurnDefinition, Commerce.CommerceRules.RevenueChurnDefinition, Commerce.CommerceRules.RepeatPurchaseDefinition,
                Commerce.CommerceRules.MrrDefinition, Commerce.CommerceRules.NrrDefinition,
            }));
        metrics.MapGet("/{key}/series", Series).WithName("GetMetricSeries")
            .WithSummary("A metric as a series by week, month or quarter over [from, to).");
        return api;
    }

    private static ObjectiveFilter Filter(
        string? search, ObjectiveType? type, ObjectiveStatus? status, Guid? ownerId, DateOnly? activeOn, bool? includeArchived, ListSort? sort) =>
        new(search, type, status, ownerId, activeOn, includeArchived ?? false, sort ?? ListSort.Newest);

    private static async Task<Ok<Page<ObjectiveSummaryDto>>> List(
        Objectives objectives, string? search, ObjectiveType? type, ObjectiveStatus? status, Guid? ownerId, DateOnly? activeOn,
        bool? includeArchived, ListSort? sort, int? limit, string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await objectives.ListAsync(
            Filter(search, type, status, ownerId, activeOn, includeArchived, sort), PageRequest.Parse(limit, cursor), ct));

    private static Task Export(
        HttpContext http, Objectives objectives, string? search, ObjectiveType? type, ObjectiveStatus? status, Guid? ownerId,
        DateOnly? activeOn, bool? includeArchived, ListSort? sort, CancellationToken ct)
    {
        return Csv.WriteAsync(http.Response, "objectives.csv",
            ["id", "title", "type", "status", "owner", "period_start", "period_end", "progress_percent", "at_risk", "key_results"],
            Rows(objectives.StreamAsync(Filter(search, type, status, ownerId, activeOn, includeArchived, sort), ct)), ct);

        static async IAsyncEnumerable<string?[]> Rows(IAsyncEnumerable<ObjectiveSummaryDto> items)
        {
            await foreach (var o in items)
            {
                yield return
                [
                    o.Id.ToString(), o.Title, o.Type.ToString(), o.Status.ToString(), o.Owner?.Name, o.PeriodStart.ToString("yyyy-MM-dd"),
                    o.PeriodEnd?.ToString("yyyy-MM-dd"), o.Progress?.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture),
                    o.AtRisk ? "yes" : "no", o.KeyResultCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ];
            }
        }
    }

    private static async Task<Results<Ok<ObjectiveDto>, NotFound>> Get(Guid id, Objectives objectives, CancellationToken ct) =>
        await objectives.GetAsync(id, ct) is { } objective ? TypedResults.Ok(objective) : TypedResults.NotFound();

    private static async Task<Results<Ok<SmartCheck>, NotFound>> Smart(Guid id, Objectives objectives, CancellationToken ct) =>
        await objectives.GetAsync(id, ct) is { } objective ? TypedResults.Ok(objective.Smart) : TypedResults.NotFound();

    private static async Task<Created<ObjectiveDto>> Create(ObjectiveInput input, Objectives objectives, CancellationToken ct)
    {
        var objective = await objectives.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/objectives/{objective.Summary.Id}", objective);
    }

    private static async Task<Results<Ok<ObjectiveDto>, NotFound>> Update(Guid id, ObjectiveUpdate input, Objectives objectives, CancellationToken ct) =>
        await objectives.UpdateAsync(id, input, ct) is { } objective ? TypedResults.Ok(objective) : TypedResults.NotFound();

    private static async Task<Results<Ok<ObjectiveDto>, NotFound>> Activate(Guid id, Activation input, Objectives objectives, CancellationToken ct) =>
        await objectives.ActivateAsync(id, input, ct) is { } objective ? TypedResults.Ok(objective) : TypedResults.NotFound();

    private static async Task<Results<Ok<ObjectiveDto>, NotFound>> SetStatus(
        Guid id, ObjectiveStatus status, Objectives objectives, CancellationToken ct)
    {
        if (status == ObjectiveStatus.Active)
        {
            throw new RequestValidationException("status", "Activate through /activate, which runs the SMART check.");
        }

        return await objectives.SetStatusAsync(id, status, ct) is { } objective ? TypedResults.Ok(objective) : TypedResults.NotFound();
    }

    private static async Task<Results<Created<KeyResultDto>, NotFound>> AddKeyResult(
        Guid id, KeyResultInput input, Objectives objectives, CancellationToken ct) =>
        await objectives.AddKeyResultAsync(id, input, ct) is { } kr
            ? TypedResults.Created($"/api/v1/key-results/{kr.Id}", kr)
            : TypedResults.NotFound();

    private static async Task<Results<Ok<KeyResultDto>, NotFound>> UpdateKeyResult(
        Guid id, KeyResultUpdate input, Objectives objectives, CancellationToken ct) =>
        await objectives.UpdateKeyResultAsync(id, input, ct) is { } kr ? TypedResults.Ok(kr) : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> DeleteKeyResult(Guid id, Objectives objectives, CancellationToken ct) =>
        await objectives.DeleteKeyResultAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static async Task<Results<Created<CheckInDto>, NotFound>> CheckIn(
        Guid id, CheckInInput input, Objectives objectives, CancellationToken ct) =>
        await objectives.CheckInAsync(id, input, ct) is { } checkIn
            ? TypedResults.Created($"/api/v1/key-results/{id}/check-ins/{checkIn.Id}", checkIn)
            : TypedResults.NotFound();

    internal static MetricQuery Query(DateOnly? from, DateOnly? to, MetricCuts cuts)
    {
        var errors = new Dictionary<string, string[]>();
        if (from is null)
        {
            errors["from"] = ["Give the period's first day, as yyyy-MM-dd."];
        }

        if (to is null)
        {
            errors["to"] = ["Give the day after the period's last, as yyyy-MM-dd."];
        }

        return errors.Count > 0
            ? throw new RequestValidationException(errors)
            : new MetricQuery(from!.Value, to!.Value, cuts.ProductId, cuts.ServiceId, cuts.Segment, cuts.PersonaId, cuts.Stage, cuts.Channel, cuts.Goal, cuts.TeamId, cuts.AgentId, cuts.Priority, cuts.Plan);
    }

    private static async Task<Ok<MetricValue>> Evaluate(
        string key, MetricRegistry registry, DateOnly? from, DateOnly? to, [AsParameters] MetricCuts cuts, CancellationToken ct)
    {
        var query = Query(from, to, cuts);
        return TypedResults.Ok(new MetricValue(key, query.From, query.To, await registry.EvaluateAsync(key, query, ct)));
    }

    private static async Task<Ok<IReadOnlyList<MetricPoint>>> Series(
        string key, MetricRegistry registry, DateOnly? from, DateOnly? to, Granularity? granularity, [AsParameters] MetricCuts cuts, CancellationToken ct) =>
        TypedResults.Ok(await registry.SeriesAsync(key, Query(from, to, cuts), granularity ?? Granularity.Month, ct));
}

/// <summary>
/// The cuts a metric query may name, as query-string parameters. Properties rather than a positional record: the
/// compile-time endpoint generator cannot yet bind a constructor with nullable reference parameters (dotnet/aspnetcore#58953).
/// </summary>
public sealed record MetricCuts
{
    public Guid? ProductId { get; init; }
    public Guid? ServiceId { get; init; }
    public string? Segment { get; init; }
    public Guid? PersonaId { get; init; }
    public string? Stage { get; init; }
    public string? Channel { get; init; }
    public string? Goal { get; init; }
    public Guid? TeamId { get; init; }
    public Guid? AgentId { get; init; }
    public string? Priority { get; init; }
    public string? Plan { get; init; }
}

public sealed record MetricValue(string Key, DateOnly From, DateOnly To, double? Value);
