using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Features.Alignment;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Campaigns;

public sealed class AudiencePreviewInput
{
    public Guid? SegmentId { get; set; }
}

public sealed class CampaignResultsInput
{
    public List<CampaignResultInput> Rows { get; set; } = [];
}

public static class CampaignsApi
{
    public static RouteGroupBuilder MapCampaignsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/campaigns").WithTags("Campaigns");
        group.MapGet("/export.csv", (HttpContext http, Campaigns c, CampaignStatus? status, Guid? productId, CampaignGoal? goal, DateOnly? from, DateOnly? to, CancellationToken ct) =>
                Csv.WriteAsync(http.Response, "campaigns.csv",
                    ["name", "product", "goal", "planned_stage", "stage_fit", "status", "starts_on", "ends_on", "budget", "spend", "conversions", "segment", "channels", "owner", "id"],
                    CampaignRows(c, status, productId, goal, from, to, ct), ct))
            .WithName("ExportCampaigns").ReadsFromReplica()
            .WithSummary("Exports the campaigns the list's filters match as CSV, latest start first.");
        group.MapGet("/", (Campaigns c, CampaignStatus? status, Guid? productId, CampaignGoal? goal, DateOnly? from, DateOnly? to, CancellationToken ct) =>
                c.ListAsync(status, productId, goal, from, to, ct))
            .WithName("ListCampaigns")
            .WithSummary("Campaigns, latest start first; filter by status, product, goal, or a period they overlap (from inclusive, to exclusive).");
        group.MapGet("/{id:guid}", (Guid id, Campaigns c, CancellationToken ct) => ApiResults.Found(c.GetAsync(id, ct))).WithName("GetCampaign")
            .WithSummary("A campaign with its fit checks (stage, promises, message, audience), each with its reason, and its audience counts.");
        group.MapPost("/", Create).WithName("CreateCampaign")
            .WithSummary("Plans a campaign (as a draft). The product's lifecycle stage is recorded with it.").RequireAuthorization(Permissions.CampaignsManage);
        group.MapPost("/fit", (CampaignInput input, Campaigns c, CancellationToken ct) => c.PreviewFitAsync(input, ct)).WithName("CheckCampaignFit")
            .WithSummary("The fit checks for a plan without saving it.");
        group.MapPost("/audience-preview", (AudiencePreviewInput input, Campaigns c, CancellationToken ct) => c.PreviewAudienceAsync(input.SegmentId, ct))
            .WithName("PreviewCampaignAudience").WithSummary("How many customers a segment (or, with none, every customer) lets a campaign reach, and how many are left out for lack of consent.");
        group.MapPut("/{id:guid}", Update).WithName("UpdateCampaign")
            .WithSummary("Re-plans a campaign; send the version you read.").RequireAuthorization(Permissions.CampaignsManage);
        group.MapPut("/{id:guid}/status", (Guid id, CampaignStatusInput input, Campaigns c, CancellationToken ct) => ApiResults.Found(c.SetStatusAsync(id, input.Status!.Value, ct)))
            .WithName("SetCampaignStatus").WithSummary("Draft → Scheduled → Running → Completed; any but Completed may be Cancelled; a cancelled one may return to Draft.")
            .RequireAuthorization(Permissions.CampaignsManage);
        group.MapDelete("/{id:guid}", async (Guid id, Campaigns c, CancellationToken ct) => await c.DeleteAsync(id, ct) ? Results.NoContent() : Results.NotFound())
            .WithName("DeleteCampaign").WithSummary("Deletes a draft; others are cancelled instead.").RequireAuthorization(Permissions.CampaignsManage);

        group.MapGet("/{id:guid}/audience.csv", ExportAudience).WithName("ExportCampaignAudience")
            .WithSummary("The consenting audience's contacts as CSV. Customers without marketing consent are never in it; every export is audit-logged.")
            .RequireAuthorization(Permissions.CampaignsAudience);

        group.MapGet("/{id:guid}/results", (Guid id, Campaigns c, CancellationToken ct) => ApiResults.Found(c.ResultsAsync(id, ct)))
            .WithName("ListCampaignResults").WithSummary("Every day and channel of results, latest first.");
        group.MapGet("/{id:guid}/results/export.csv", async Task<Results<EmptyHttpResult, NotFound>> (Guid id, HttpContext http, Campaigns c, CancellationToken ct) =>
            {
                if (await c.ResultsAsync(id, ct) is not { } results)
                {
                    return TypedResults.NotFound();
                }

                // The import's columns in its formats: importing the file again changes nothing (a day and channel replace their figures).
                await Csv.WriteAsync(http.Response, "campaign-results.csv", [.. Campaigns.ResultFields.Select(f => f.Name)],
                    results.OrderBy(r => r.Day).ThenBy(r => r.Channel).Select(r => new string?[]
                    {
                        Csv.Day(r.Day), r.Channel.ToString(), r.Impressions.ToString(CultureInfo.InvariantCulture),
                        r.Engagements.ToString(CultureInfo.InvariantCulture), r.Conversions.ToString(CultureInfo.InvariantCulture),
                        Csv.Amount(r.Spend), Csv.Amount(r.Revenue),
                    }).ToAsyncEnumerable(), ct);
                return TypedResults.Empty;
            })
            .WithName("ExportCampaignResults").ReadsFromReplica().WithSummary("Exports a campaign's results as CSV, oldest day first, in the import's columns and formats.");
        group.MapPost("/{id:guid}/results", RecordResults).WithName("RecordCampaignResults")
            .WithSummary("Pushes results (up to 1 000 rows of day, channel, impressions, engagements, conversions, spend, revenue). A day and channel sent again replaces the earlier figures. One bad row and nothing is written.")
            .RequireAuthorization(Permissions.CampaignsManage).DisableValidation();
        group.MapPost("/{id:guid}/results/import", (Guid id, HttpRequest request, Campaigns c, string? map, bool? allOrNothing, CancellationToken ct) =>
                ApiResults.CsvImportAsync(request, map, (reader, mapping) => c.ImportResultsAsync(id, reader, mapping, allOrNothing ?? true, ct: ct)))
            .WithName("ImportCampaignResults").AllowsLargeUploads()
            .WithSummary("Imports results from CSV (day, channel, impressions, engagements, conversions, spend, revenue). map=field:Column,...; allOrNothing=false keeps the good rows.")
            .RequireAuthorization(Permissions.CampaignsManage);
        group.MapGet("/{id:guid}/results/summary", (Guid id, Campaigns c, CancellationToken ct) => ApiResults.Found(c.ResultsViewAsync(id, ct)))
            .WithName("GetCampaignResultsSummary")
            .WithSummary("Totals and rates against targets, by channel against the typical rates, by day, underperformance flags and their likely causes.");
        group.MapGet("/{id:guid}/kpis", (Guid id, Campaigns c, CancellationToken ct) => ApiResults.Found(c.KpisAsync(id, ct)))
            .WithName("GetCampaignKpis").WithSummary("The KPIs the campaign was meant to move, for its product and segment, before, during and after it.");
        group.MapPost("/{id:guid}/reviews", Review).WithName("RecordCampaignReview")
            .WithSummary("Records a joint product and marketing review of the campaign as a decision in the decision log.")
            .RequireAuthorization(Permissions.CampaignsManage);
        return api;
    }

    private static async Task<Created<CampaignDetail>> Create(CampaignInput input, Campaigns campaigns, CancellationToken ct)
    {
        var campaign = await campaigns.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/campaigns/{campaign.Campaign.Id}", campaign);
    }

    private static Task<Results<Ok<CampaignDetail>, NotFound>> Update(Guid id, CampaignUpdate input, Campaigns campaigns, CancellationToken ct) =>
        ApiResults.Found(campaigns.UpdateAsync(id, input, ct));

    private static async Task<Results<FileContentHttpResult, NotFound>> ExportAudience(Guid id, Campaigns campaigns, CancellationToken ct)
    {
        if (await campaigns.ExportAudienceAsync(id, ct) is not { } rows)
        {
            return TypedResults.NotFound();
        }

        var csv = new StringBuilder();
        csv.Append(Csv.Line(["customer", "externalRef", "contact", "email"])).Append("\r\n");
        foreach (var row in rows)
        {
            csv.Append(Csv.Line([row.Customer, row.ExternalRef ?? "", row.Name, row.Email])).Append("\r\n");
        }

        return TypedResults.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", $"audience-{id:N}.csv");
    }

    private static async Task<Results<Ok<int>, NotFound>> RecordResults(Guid id, CampaignResultsInput input, Campaigns campaigns, CancellationToken ct)
    {
        if (input.Rows is { Count: > 1000 })
        {
            throw new RequestValidationException("rows", "Send at most 1 000 rows per call.");
        }

        return await campaigns.RecordResultsAsync(id, input.Rows ?? [], ct) is { } count ? TypedResults.Ok(count) : TypedResults.NotFound();
    }

    private static async Task<Results<Created<DecisionDto>, NotFound>> Review(Guid id, CampaignReviewInput input, Campaigns campaigns, CancellationToken ct) =>
        await campaigns.RecordReviewAsync(id, input, ct) is { } decision
            ? TypedResults.Created($"/api/v1/decisions/{decision.Id}", decision)
            : TypedResults.NotFound();

    private static async IAsyncEnumerable<string?[]> CampaignRows(
        Campaigns campaigns, CampaignStatus? status, Guid? productId, CampaignGoal? goal, DateOnly? from, DateOnly? to,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var c in await campaigns.ListAsync(status, productId, goal, from, to, ct))
        {
            yield return
            [
                c.Name, c.Product.Name, c.Goal.ToString(), c.PlannedStage.ToString(), c.StageFit.ToString(), c.Status.ToString(),
                c.StartsOn.ToString("yyyy-MM-dd", invariant), c.EndsOn.ToString("yyyy-MM-dd", invariant), c.Budget.ToString(invariant),
                c.Spend.ToString(invariant), c.Conversions.ToString(invariant), c.Segment?.Name, string.Join(";", c.Channels), c.Owner?.Name, c.Id.ToString(),
            ];
        }
    }
}
