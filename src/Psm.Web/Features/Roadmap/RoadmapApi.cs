using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Roadmap;

public static class RoadmapApi
{
    public static RouteGroupBuilder MapRoadmapApi(this RouteGroupBuilder api)
    {
        var initiatives = api.MapGroup("/initiatives").WithTags("Roadmap");
        initiatives.MapGet("/", List).WithName("ListInitiatives")
            .WithSummary("Lists initiatives, filtered by status, product, objective, team or owner, one page at a time.");
        initiatives.MapGet("/export.csv", Export).WithName("ExportInitiatives").ReadsFromReplica().WithSummary("Exports matching initiatives with their scores as CSV.");
        initiatives.MapGet("/board", Board).WithName("GetBoard").WithSummary("Every matching initiative, for the board's status columns.");
        initiatives.MapGet("/{id:guid}", Get).WithName("GetInitiative")
            .WithSummary("Gets an initiative with its objectives, products, dependencies and scores.");
        initiatives.MapPost("/", Create).WithName("CreateInitiative").WithSummary("Creates an initiative as an Idea.")
            .RequireAuthorization(Permissions.RoadmapManage);
        initiatives.MapPut("/{id:guid}", Update).WithName("UpdateInitiative").WithSummary("Updates an initiative; send the version you read.")
            .RequireAuthorization(Permissions.RoadmapManage);
        initiatives.MapPost("/{id:guid}/status", Move).WithName("MoveInitiative")
            .WithSummary("Moves an initiative to a status (what dragging a card on the board does).").RequireAuthorization(Permissions.RoadmapManage);
        initiatives.MapPut("/{id:guid}/scores", Score).WithName("ScoreInitiative")
            .WithSummary("Sets RICE inputs, MoSCoW and weighted-criteria scores; the change is kept in the score history.")
            .RequireAuthorization(Permissions.RoadmapManage);
        initiatives.MapGet("/{id:guid}/score-history", ScoreHistory).WithName("GetInitiativeScoreHistory")
            .WithSummary("How an initiative's scores changed, newest first.");

        api.MapGet("/prioritisation", Prioritise).WithTags("Roadmap").WithName("Prioritise")
            .WithSummary("Initiatives ranked by RICE, MoSCoW or weighted criteria, the other two beside, with disagreements flagged.");
        api.MapGet("/alignment", (Alignment.AlignmentReport report, CancellationToken ct) => report.BuildAsync(ct)).WithTags("Alignment")
            .WithName("GetAlignment")
            .WithSummary("The alignment score (with its formula), the gaps, and which active initiatives serve which active objectives.");
        api.MapGet("/scoring-criteria", (Roadmap roadmap, CancellationToken ct) => roadmap.CriteriaAsync(ct)).WithTags("Roadmap")
            .WithName("ListScoringCriteria").WithSummary("The weighted scoring model: criteria and weights.");
        api.MapPut("/scoring-criteria", SetCriteria).WithTags("Roadmap").WithName("SetScoringCriteria")
            .WithSummary("Replaces the weighted scoring model and recomputes every weighted score (admins and product managers).")
            .RequireAuthorization(Permissions.RoadmapManage);
        return api;
    }

    private static InitiativeFilter Filter(
        string? search, InitiativeStatus? status, Guid? productId, Guid? objectiveId, string? team, Guid? ownerId, ListSort? sort) =>
        new(search, status, productId, objectiveId, team, ownerId, sort ?? ListSort.Newest);

    private static async Task<Ok<Page<InitiativeSummaryDto>>> List(
        Roadmap roadmap, string? search, InitiativeStatus? status, Guid? productId, Guid? objectiveId, string? team, Guid? ownerId,
        ListSort? sort, int? limit, string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await roadmap.ListAsync(Filter(search, status, productId, objectiveId, team, ownerId, sort), PageRequest.Parse(limit, cursor), ct));

    private static Task Export(
        HttpContext http, Roadmap roadmap, string? search, InitiativeStatus? status, Guid? productId, Guid? objectiveId, string? team,
        Guid? ownerId, ListSort? sort, CancellationToken ct)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return Csv.WriteAsync(http.Response, "initiatives.csv",
            ["id", "title", "status", "owner", "team", "planned_start", "planned_end", "released_on", "rice", "moscow", "weighted", "effort", "objectives"],
            Rows(roadmap.StreamAsync(Filter(search, status, productId, objectiveId, team, ownerId, sort), ct)), ct);

        async IAsyncEnumerable<string?[]> Rows(IAsyncEnumerable<InitiativeSummaryDto> items)
        {
            await foreach (var i in items)
            {
                yield return
                [
                    i.Id.ToString(), i.Title, i.Status.ToString(), i.Owner?.Name, i.Team, i.PlannedStart?.ToString("yyyy-MM-dd"),
                    i.PlannedEnd?.ToString("yyyy-MM-dd"), i.ReleasedOn?.ToString("yyyy-MM-dd"), i.RiceScore?.ToString(invariant),
                    i.Moscow?.ToString(), i.WeightedScore?.ToString(invariant), i.Effort?.ToString(invariant), i.ObjectiveCount.ToString(invariant),
                ];
            }
        }
    }

    private static async Task<Ok<IReadOnlyList<InitiativeSummaryDto>>> Board(
        Roadmap roadmap, string? search, Guid? productId, Guid? objectiveId, string? team, Guid? ownerId, CancellationToken ct) =>
        TypedResults.Ok(await roadmap.BoardAsync(Filter(search, null, productId, objectiveId, team, ownerId, null), ct));

    private static async Task<Results<Ok<InitiativeDto>, NotFound>> Get(Guid id, Roadmap roadmap, CancellationToken ct) =>
        await roadmap.GetAsync(id, ct) is { } initiative ? TypedResults.Ok(initiative) : TypedResults.NotFound();

    private static async Task<Created<InitiativeDto>> Create(InitiativeInput input, Roadmap roadmap, CancellationToken ct)
    {
        var initiative = await roadmap.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/initiatives/{initiative.Summary.Id}", initiative);
    }

    private static async Task<Results<Ok<InitiativeDto>, NotFound>> Update(Guid id, InitiativeUpdate input, Roadmap roadmap, CancellationToken ct) =>
        await roadmap.UpdateAsync(id, input, ct) is { } initiative ? TypedResults.Ok(initiative) : TypedResults.NotFound();

    private static async Task<Results<Ok<InitiativeSummaryDto>, NotFound>> Move(Guid id, StatusMove input, Roadmap roadmap, CancellationToken ct) =>
        await roadmap.MoveAsync(id, input.Status, ct, input.ReleasedOn) is { } initiative ? TypedResults.Ok(initiative) : TypedResults.NotFound();

    private static async Task<Results<Ok<InitiativeDto>, NotFound>> Score(Guid id, ScoresInput input, Roadmap roadmap, CancellationToken ct) =>
        await roadmap.ScoreAsync(id, input, ct) is { } initiative ? TypedResults.Ok(initiative) : TypedResults.NotFound();

    private static async Task<Results<Ok<IReadOnlyList<ScoreChangeDto>>, NotFound>> ScoreHistory(Guid id, Roadmap roadmap, CancellationToken ct) =>
        await roadmap.ScoreHistoryAsync(id, ct) is { } history ? TypedResults.Ok(history) : TypedResults.NotFound();

    private static async Task<Ok<IReadOnlyList<RankedInitiative>>> Prioritise(
        Roadmap roadmap, Framework? framework, Guid? productId, Guid? objectiveId, string? team, CancellationToken ct) =>
        TypedResults.Ok(await roadmap.PrioritiseAsync(framework ?? Framework.Rice, Filter(null, null, productId, objectiveId, team, null, null), ct));

    private static async Task<Ok<IReadOnlyList<CriterionDto>>> SetCriteria(List<CriterionInput> criteria, Roadmap roadmap, CancellationToken ct) =>
        TypedResults.Ok(await roadmap.SetCriteriaAsync(criteria, ct));
}
