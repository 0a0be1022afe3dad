using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Alignment;

public static class AlignmentApi
{
    public static RouteGroupBuilder MapAlignmentApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("").WithTags("Alignment");
        group.MapGet("/alignment/type-weights", (AlignmentReport report, CancellationToken ct) => report.WeightsAsync(ct))
            .WithName("GetObjectiveTypeWeights").WithSummary("The share of effort leadership wants on each objective type, in %.");
        group.MapPut("/alignment/type-weights", (TypeWeightsInput input, AlignmentReport report, CancellationToken ct) => report.SetWeightsAsync(input, ct))
            .WithName("SetObjectiveTypeWeights").WithSummary("Sets the weights by objective type; they must add up to 100 (admins and product managers).")
            .RequireAuthorization(Permissions.StrategyManage);
        group.MapGet("/stakeholders", async (AlignmentRecords records, Department? department, CancellationToken ct) =>
                TypedResults.Ok(await records.StakeholdersAsync(department, ct)))
            .WithName("ListStakeholders").WithSummary("Stakeholders by department, with influence and interest for the power-interest grid.");
        group.MapPost("/stakeholders", AddStakeholder).WithName("AddStakeholder").WithSummary("Adds a stakeholder.")
            .RequireAuthorization(Permissions.AlignmentManage);
        group.MapGet("/concerns", async (AlignmentRecords records, ConcernSubject subject, Guid subjectId, CancellationToken ct) =>
                TypedResults.Ok(await records.ConcernsAsync(subject, subjectId, ct)))
            .WithName("ListConcerns").WithSummary("The concerns recorded on an initiative, objective or decision, newest first.");
        group.MapPost("/concerns", AddConcern).WithName("AddConcern")
            .WithSummary("Records a stakeholder's stance and concern. A user with the Stakeholder role records only in their own name; stakeholderId defaults to the caller's own record.")
            .RequireAuthorization(Permissions.AlignmentConcern);
        group.MapPost("/concerns/{id:guid}/status", SetConcernStatus).WithName("SetConcernStatus")
            .WithSummary("Marks a concern open, addressed, or accepted as a risk.").RequireAuthorization(Permissions.AlignmentManage);
        group.MapGet("/decisions", async (AlignmentRecords records, CancellationToken ct) => TypedResults.Ok(await records.DecisionsAsync(ct)))
            .WithName("ListDecisions").WithSummary("The decision log, newest first, with the dissent that remains.");
        group.MapGet("/decisions/export.csv", async (HttpContext http, AlignmentRecords records, CancellationToken ct) =>
            {
                var decisions = await records.DecisionsAsync(ct);
                await Csv.WriteAsync(http.Response, "decisions.csv",
                    ["decided_on", "title", "outcome", "decided_by", "context", "options_considered", "rationale", "consulted", "initiatives", "objectives", "campaigns",
                        "remaining_concerns", "id"],
                    decisions.Select(d => new string?[]
                    {
                        d.DecidedOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), d.Title, d.Outcome, d.DecidedBy, d.Context,
                        d.OptionsConsidered, d.Rationale, Names(d.Consulted), Names(d.Initiatives), Names(d.Objectives), Names(d.Campaigns),
                        d.RemainingConcerns.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Id.ToString(),
                    }).ToAsyncEnumerable(), ct);

                static string Names(IReadOnlyList<NamedRef> refs) => string.Join(";", refs.Select(r => r.Name));
            })
            .WithName("ExportDecisions").ReadsFromReplica().WithSummary("Exports the decision log as CSV, newest first.");
        group.MapGet("/decisions/{id:guid}", GetDecision).WithName("GetDecision").WithSummary("Gets a decision.");
        group.MapPost("/decisions", RecordDecision).WithName("RecordDecision")
            .WithSummary("Records a decision: context, options, outcome, rationale, who decided and who was consulted.")
            .RequireAuthorization(Permissions.AlignmentManage);
        return api;
    }

    private static async Task<Created<StakeholderDto>> AddStakeholder(StakeholderInput input, AlignmentRecords records, CancellationToken ct)
    {
        var stakeholder = await records.AddStakeholderAsync(input, ct);
        return TypedResults.Created($"/api/v1/stakeholders/{stakeholder.Id}", stakeholder);
    }

    private static async Task<Created<ConcernDto>> AddConcern(ConcernInput input, AlignmentRecords records, CancellationToken ct)
    {
        var concern = await records.AddConcernAsync(input, ct);
        return TypedResults.Created($"/api/v1/concerns/{concern.Id}", concern);
    }

    private static async Task<Results<Ok<ConcernDto>, NotFound>> SetConcernStatus(
        Guid id, ConcernStatusInput input, AlignmentRecords records, CancellationToken ct) =>
        await records.SetConcernStatusAsync(id, input.Status, ct) is { } concern ? TypedResults.Ok(concern) : TypedResults.NotFound();

    private static async Task<Results<Ok<DecisionDto>, NotFound>> GetDecision(Guid id, AlignmentRecords records, CancellationToken ct) =>
        await records.DecisionAsync(id, ct) is { } decision ? TypedResults.Ok(decision) : TypedResults.NotFound();

    private static async Task<Created<DecisionDto>> RecordDecision(DecisionInput input, AlignmentRecords records, CancellationToken ct)
    {
        var decision = await records.RecordDecisionAsync(input, ct);
        return TypedResults.Created($"/api/v1/decisions/{decision.Id}", decision);
    }
}
