using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Infrastructure.Imports;

public static class ImportJobsApi
{
    public static RouteGroupBuilder MapImportJobsApi(this RouteGroupBuilder api)
    {
        var imports = api.MapGroup("/imports").WithTags("Imports");
        foreach (var kind in ImportKinds.All)
        {
            var start = kind.TargetExists is null
                ? imports.MapPost(kind.Route, (HttpRequest request, ImportJobs jobs, string? map, bool? allOrNothing, CancellationToken ct) =>
                    StartAsync(kind, null, request, jobs, map, allOrNothing, ct))
                : imports.MapPost(kind.Route, (Guid targetId, HttpRequest request, ImportJobs jobs, string? map, bool? allOrNothing, CancellationToken ct) =>
                    StartAsync(kind, targetId, request, jobs, map, allOrNothing, ct));
            start.WithName($"Start{kind.Kind}Import").Accepts<string>("text/csv").RequireAuthorization(kind.Permission).AllowsLargeUploads()
                .WithSummary($"Imports {kind.What} from CSV (text/csv) in the background: 202 with the job to poll. The header and map=field:Column,... "
                    + "are checked at once; the rows when the job runs, in one transaction (allOrNothing=false keeps the good rows). "
                    + $"Fields: {string.Join(", ", kind.Fields.Select(f => f.Name))}.");
        }

        imports.MapGet("/", (ImportJobs jobs, ImportKind? kind, Guid? targetId, bool? unfinished, CancellationToken ct) =>
                jobs.ListAsync(kind, targetId, unfinished ?? false, ct))
            .WithName("ListImports").WithSummary("Lists your newest 50 import jobs (an admin sees everyone's), optionally of one kind and target, or only those still queued or running.");
        imports.MapGet("/{id:guid}", (Guid id, ImportJobs jobs, CancellationToken ct) => ApiResults.Found(jobs.GetAsync(id, ct)))
            .WithName("GetImport").WithSummary("One import job: its status, progress (bytes and rows read, share of the file), and once finished its report of imported, duplicate and rejected rows.");
        imports.MapPost("/{id:guid}/cancel", (Guid id, ImportJobs jobs, CancellationToken ct) => ApiResults.Found(jobs.CancelAsync(id, ct)))
            .WithName("CancelImport").WithSummary("Asks an import job to stop; nothing of it is kept. A finished job is returned unchanged.");
        return api;
    }

    private static async Task<Results<Accepted<ImportJobDto>, NotFound, ProblemHttpResult>> StartAsync(
        ImportKindInfo kind, Guid? target, HttpRequest request, ImportJobs jobs, string? map, bool? allOrNothing, CancellationToken ct)
    {
        if (ApiResults.RefuseUnlessCsv(request) is { } refused)
        {
            return refused;
        }

        var mapping = CsvImport.ParseMapping(map);
        var name = ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out var disposition)
            ? HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value
            : null;
        var upload = await jobs.StageAsync(request.Body, name ?? "upload.csv", ct: ct);
        return await jobs.EnqueueAsync(kind.Kind, target, upload, mapping, allOrNothing ?? true, ct) is { } job
            ? TypedResults.Accepted($"/api/v1/imports/{job.Id}", job)
            : TypedResults.NotFound();
    }
}
