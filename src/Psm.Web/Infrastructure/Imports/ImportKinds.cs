using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Infrastructure.Imports;

/// <summary>Runs one kind of import over a reader: target, mapping, all-or-nothing, progress in rows. Null when the target is gone.</summary>
public delegate Task<CsvImportResult?> RunImport(
    IServiceProvider services, Guid? target, TextReader reader, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing,
    IProgress<int> progress, CancellationToken ct);

/// <summary>
/// What each kind of import is: its route under /api/v1/imports, the permission it needs (the same as the
/// area's own import endpoint), its fields, the target it writes into, and the area's import that runs it.
/// </summary>
public sealed record ImportKindInfo(
    ImportKind Kind, string Route, string Permission, string What, IReadOnlyList<ImportField> Fields, string? Target,
    Func<PsmDb, Guid, CancellationToken, Task<bool>>? TargetExists, RunImport Run);

public static class ImportKinds
{
    public static readonly IReadOnlyList<ImportKindInfo> All =
    [
        new(ImportKind.Feedback, "/feedback", Permissions.FeedbackTriage, "feedback", Features.Feedback.Imports.FeedbackFields, null, null,
            async (sp, _, reader, map, all, progress, ct) =>
                await sp.GetRequiredService<Features.Feedback.Imports>().ImportFeedbackAsync(reader, map, all, progress, ct)),
        new(ImportKind.SurveyResponses, "/surveys/{targetId:guid}/responses", Permissions.SurveysManage, "survey answers",
            Features.Feedback.Imports.ResponseFields, "survey",
            (db, id, ct) => db.Surveys.AnyAsync(s => s.Id == id, ct),
            (sp, target, reader, map, all, progress, ct) =>
                sp.GetRequiredService<Features.Feedback.Imports>().ImportResponsesAsync(target!.Value, reader, map, all, progress, ct)),
        new(ImportKind.Customers, "/customers", Permissions.CustomersManage, "customers", CustomerImport.Fields, null, null,
            async (sp, _, reader, map, all, progress, ct) =>
                await sp.GetRequiredService<CustomerImport>().ImportAsync(CustomerImport.ParseCsv(reader, map, ct), all, progress, ct)),
        new(ImportKind.Orders, "/orders", Permissions.CommerceManage, "orders", Orders.OrderFields, null, null,
            async (sp, _, reader, map, all, progress, ct) =>
                await sp.GetRequiredService<Orders>().ImportOrdersAsync(reader, map, all, progress, ct)),
        new(ImportKind.Subscriptions, "/subscriptions", Permissions.CommerceManage, "subscriptions", Orders.SubscriptionFields, null, null,
            async (sp, _, reader, map, all, progress, ct) =>
                await sp.GetRequiredService<Orders>().ImportSubscriptionsAsync(reader, map, all, progress, ct)),
        new(ImportKind.CampaignResults, "/campaigns/{targetId:guid}/results", Permissions.CampaignsManage, "campaign results",
            Campaigns.ResultFields, "campaign",
            (db, id, ct) => db.Campaigns.AnyAsync(c => c.Id == id, ct),
            (sp, target, reader, map, all, progress, ct) =>
                sp.GetRequiredService<Campaigns>().ImportResultsAsync(target!.Value, reader, map, all, progress, ct)),
    ];

    public static ImportKindInfo Of(ImportKind kind) => All.Single(k => k.Kind == kind);
}
