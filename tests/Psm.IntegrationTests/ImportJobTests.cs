using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Imports;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

/// <summary>Imports run as background jobs: queued from an upload, watched, cancelled, and failed cleanly when their process dies.</summary>
public sealed class ImportJobTests
{
    private static HttpContent Csv(string text) => new StringContent(text, Encoding.UTF8, "text/csv");

    /// <summary>Reads the job until <paramref name="until"/> holds; <paramref name="check"/> fails the test early.</summary>
    private static async Task<ImportJobDto> PollAsync(HttpClient client, Guid id, Func<ImportJobDto, bool> until, TimeSpan limit, Action<ImportJobDto>? check = null)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var job = (await client.GetFromJsonAsync<ImportJobDto>($"/api/v1/imports/{id}", Json.Options))!;
            check?.Invoke(job);
            if (until(job))
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The import was still {job.Status} ({job.RowsRead} rows read) after {limit.TotalSeconds} s.");
            await Task.Delay(50);
        }
    }

    private static Task<ImportJobDto> FinishedAsync(HttpClient client, Guid id, TimeSpan? limit = null) =>
        PollAsync(client, id, job => job.IsFinished, limit ?? TimeSpan.FromSeconds(90));

    /// <summary>Until the job has written rows and is still running (it must not end first: the file is made large enough).</summary>
    private static Task<ImportJobDto> RunningAsync(HttpClient client, Guid id) =>
        PollAsync(client, id, job => job is { Status: ImportJobStatus.Running, RowsRead: > 0 }, TimeSpan.FromSeconds(90),
            job => Assert.False(job.IsFinished, $"The import ended ({job.Status}) before it could be interrupted; make the file larger."));

    /// <summary>About 30 bytes an answer: a score, a time, a unique reference.</summary>
    private static string Answers(int rows)
    {
        var file = new StringBuilder("score,respondedAt,externalRef\n", rows * 40);
        for (var i = 0; i < rows; i++)
        {
            file.Append(i % 11).Append(",2026-03-").Append((i % 28 + 1).ToString("00")).Append("T10:00:00Z,a-").Append(i).Append('\n');
        }

        return file.ToString();
    }

    private static async Task<int> AnswersStoredAsync(PsmServer app, Guid surveyId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PsmDb>().SurveyResponses.CountAsync(r => r.SurveyId == surveyId);
    }

    [Fact]
    public async Task ABackgroundImportReportsItsRowsAndOnlyItsOwnerAndAdminsSeeIt()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        const string file = "Comment,Source\nThe invoice was wrong again,Email\nLove the new dashboard,InApp\nWhat is this,Pigeon\n";

        var started = await pm.PostAsync("/api/v1/imports/feedback?allOrNothing=false&map=text:Comment,channel:Source", Csv(file));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var queued = await started.ReadAsync<ImportJobDto>();
        Assert.Equal($"/api/v1/imports/{queued.Id}", started.Headers.Location?.OriginalString);
        Assert.Equal((ImportKind.Feedback, Encoding.UTF8.GetByteCount(file)), (queued.Kind, (int)queued.SizeBytes));

        var done = await FinishedAsync(pm, queued.Id);
        Assert.Equal(ImportJobStatus.Succeeded, done.Status);
        Assert.Equal((3, 2), (done.Report!.RowsRead, done.Report.Imported));
        var rejected = Assert.Single(done.Report.Rejected);
        Assert.Equal((4, "channel"), (rejected.Row, rejected.Field));
        Assert.Equal((3, 1.0), (done.RowsRead, done.Fraction));
        Assert.Equal(PsmServer.EmailOf(Roles.ProductManager), done.CreatedBy);
        var texts = (await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback?limit=50", Json.Options))!.Items.Select(f => f.Text).ToHashSet();
        Assert.Equal(["The invoice was wrong again", "Love the new dashboard"], texts);

        // The job is the owner's: another user with the same permission does not see it; an admin does.
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync($"/api/v1/imports/{queued.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.PostAsync($"/api/v1/imports/{queued.Id}/cancel", null)).StatusCode);
        Assert.Empty((await agent.GetFromJsonAsync<List<ImportJobDto>>("/api/v1/imports", Json.Options))!);
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/imports/{queued.Id}")).StatusCode);
        Assert.Equal([queued.Id], (await pm.GetFromJsonAsync<List<ImportJobDto>>("/api/v1/imports?kind=Feedback", Json.Options))!.Select(j => j.Id));
        Assert.Empty((await pm.GetFromJsonAsync<List<ImportJobDto>>("/api/v1/imports?unfinished=true", Json.Options))!);

        // All or nothing with a bad row: refused, nothing kept, the report says which row.
        var refused = await FinishedAsync(pm, (await (await pm.PostAsync("/api/v1/imports/feedback", Csv("text,channel\nSlow exports,Email\nHm,Pigeon\n"))).ReadAsync<ImportJobDto>()).Id);
        Assert.Equal(ImportJobStatus.Refused, refused.Status);
        Assert.Equal((false, 3), (refused.Report!.Applied, Assert.Single(refused.Report.Rejected).Row));
        Assert.Equal(2, (await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback?limit=50", Json.Options))!.Items.Count);
    }

    [Fact]
    public async Task ABadHeaderOrMappingOrAMissingTargetIsRefusedAtOnceAndQueuesNothing()
    {
        var staging = Directory.CreateTempSubdirectory("psm-staging-").FullName;
        await using var app = new PsmServer(new() { ["Imports:StagingPath"] = staging });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        Assert.Contains("Comment", (await Errors(await pm.PostAsync("/api/v1/imports/feedback?map=text:Comment", Csv("text,channel\nx,Email\n"))))["map"][0]);
        Assert.Contains((await Errors(await pm.PostAsync("/api/v1/imports/feedback", Csv("words\nx\n"))))["map"], m => m.Contains("channel"));
        Assert.Contains("empty", (await Errors(await pm.PostAsync("/api/v1/imports/feedback", Csv(""))))["file"][0]);
        Assert.Contains("UTF-8", (await Errors(await pm.PostAsync("/api/v1/imports/feedback",
            new ByteArrayContent([0x74, 0x65, 0x78, 0x74, 0xE9, 0x0A]) { Headers = { ContentType = new("text/csv") } })))["file"][0]);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await pm.PostAsync("/api/v1/imports/feedback", JsonContent.Create(new { text = "x" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await pm.PostAsync($"/api/v1/imports/surveys/{Guid.NewGuid()}/responses", Csv("score\n9\n"))).StatusCode);
        Assert.Empty((await pm.GetFromJsonAsync<List<ImportJobDto>>("/api/v1/imports", Json.Options))!);

        // Refusals delete their upload: nothing is left in the staging folder.
        Assert.Empty(Directory.GetFiles(staging));
        Directory.Delete(staging, recursive: true);
    }

    [Fact]
    public async Task ACancelledImportKeepsNothing()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Big NPS", kind = "Nps", question = "Recommend us?" })).ReadAsync<SurveyDto>();

        var job = await (await pm.PostAsync($"/api/v1/imports/surveys/{survey.Id}/responses", Csv(Answers(600_000)))).ReadAsync<ImportJobDto>();
        var running = await RunningAsync(pm, job.Id);
        Assert.True(running.Fraction is > 0 and < 1, $"{running.Fraction}");
        var cancelling = await (await pm.PostAsync($"/api/v1/imports/{job.Id}/cancel", null)).ReadAsync<ImportJobDto>();
        Assert.True(cancelling.CancelRequested);

        var done = await FinishedAsync(pm, job.Id);
        Assert.Equal(ImportJobStatus.Cancelled, done.Status);
        Assert.Null(done.Report);
        Assert.Equal(0, await AnswersStoredAsync(app, survey.Id));
        Assert.False(File.Exists(Path.Combine(app.Services.GetRequiredService<ImportJobRunner>().StagingPath, $"{job.Id:N}.csv")));

        // The same file, not cancelled, is all there.
        var again = await FinishedAsync(pm, (await (await pm.PostAsync($"/api/v1/imports/surveys/{survey.Id}/responses", Csv(Answers(1_000)))).ReadAsync<ImportJobDto>()).Id);
        Assert.Equal((ImportJobStatus.Succeeded, 1_000), (again.Status, await AnswersStoredAsync(app, survey.Id)));
    }

    [Fact]
    public async Task AnImportWhoseProcessIsKilledKeepsNothingAndIsMarkedFailedByTheNextInstance()
    {
        // The first instance only hands out the key: its sweep would wait an hour.
        await using var app = new PsmServer(new() { ["Imports:StaleAfterSeconds"] = "3600" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Big NPS", kind = "Nps", question = "Recommend us?" })).ReadAsync<SurveyDto>();
        var token = pm.DefaultRequestHeaders.GetValues(Psm.Web.Features.Account.ApiKey.HeaderName).Single();
        var database = app.SameDatabase();

        using var process = Process.Start(StartupTests.PsmProcess(database["Database:Provider"]!, database["ConnectionStrings:Psm"]!,
            ("ASPNETCORE_ENVIRONMENT", "Development"), ("Demo__Seed", "false"), ("ApiKeys__RequestsPerMinute", "1000000"),
            ("Imports__HeartbeatSeconds", "0.5")))!;
        Guid id;
        try
        {
            using var doomed = new HttpClient { BaseAddress = new Uri(await StartupTests.ListeningAddressAsync(process)) };
            doomed.DefaultRequestHeaders.Add(Psm.Web.Features.Account.ApiKey.HeaderName, token);
            id = (await (await doomed.PostAsync($"/api/v1/imports/surveys/{survey.Id}/responses", Csv(Answers(1_000_000)))).ReadAsync<ImportJobDto>()).Id;
            await RunningAsync(doomed, id);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        await using var next = new PsmServer(new(database) { ["Imports:StaleAfterSeconds"] = "1", ["Imports:HeartbeatSeconds"] = "0.5" });
        using var onNext = next.ClientWithKey(token);
        var failed = await FinishedAsync(onNext, id, TimeSpan.FromSeconds(30));
        Assert.Equal(ImportJobStatus.Failed, failed.Status);
        Assert.Equal(ImportJobRunner.InstanceStopped, failed.Error);
        Assert.Equal(0, await AnswersStoredAsync(next, survey.Id));
    }
}
