using System.Net;
using System.Net.Http.Json;
using System.Text;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

public sealed class ImportTests
{
    private static HttpContent Csv(string text) => new StringContent(text, Encoding.UTF8, "text/csv");

    [Fact]
    public async Task ReImportsWithoutReferencesAreRecognisedByTheirContent()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).EnsureSuccessStatusCode();
        const string customers = "name,email,country,plan\nAurora,a@aurora.example,DE,Pro\nBirch,b@birch.example,SE,Starter\n";
        var first = await (await pm.PostAsync("/api/v1/customers/import", Csv(customers))).ReadAsync<CsvImportResult>();
        Assert.Equal((2, 0), (first.Imported, first.Duplicates));
        var again = await (await pm.PostAsync("/api/v1/customers/import", Csv(customers + "Cobalt,c@cobalt.example,FR,Pro\n"))).ReadAsync<CsvImportResult>();
        Assert.Equal((1, 2), (again.Imported, again.Duplicates));
        Assert.Contains("every mapped field", again.DuplicateRule);
        Assert.Equal(3, (await pm.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers?limit=50", Json.Options))!.Items.Count);

        // Orders need the customers' references: give Aurora one, then import the same reference-less orders twice.
        var aurora = (await pm.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers?search=Aurora", Json.Options))!.Items.Single();
        (await pm.PutAsJsonAsync($"/api/v1/customers/{aurora.Id}", new { name = "Aurora", email = "a@aurora.example", country = "DE", externalRef = "C-1", version = aurora.Version }))
            .EnsureSuccessStatusCode();
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-2).ToString("yyyy-MM-dd");
        var orders = $"customerRef,product,amount,currency,orderedOn\nC-1,Helpdesk,100,EUR,{day}\nC-1,Helpdesk,100,EUR,{day}\nC-1,Helpdesk,250,EUR,{day}\n";
        var imported = await (await pm.PostAsync("/api/v1/orders/import", Csv(orders))).ReadAsync<CsvImportResult>();
        Assert.Equal((2, 1), (imported.Imported, imported.Duplicates)); // the same row twice in one file is one order
        var twice = await (await pm.PostAsync("/api/v1/orders/import", Csv(orders))).ReadAsync<CsvImportResult>();
        Assert.Equal((0, 3), (twice.Imported, twice.Duplicates));
        Assert.Equal(350m, (await pm.GetFromJsonAsync<CustomerDto>($"/api/v1/customers/{aurora.Id}", Json.Options))!.LifetimeValue);

        // Feedback without source references, imported twice: the second time adds nothing.
        const string feedback = "text,channel\nThe invoice was wrong again,Email\nLove the new dashboard,InApp\n";
        Assert.Equal(2, (await (await pm.PostAsync("/api/v1/feedback/import", Csv(feedback))).ReadAsync<CsvImportResult>()).Imported);
        var repeated = await (await pm.PostAsync("/api/v1/feedback/import", Csv(feedback))).ReadAsync<CsvImportResult>();
        Assert.Equal((0, 2), (repeated.Imported, repeated.Duplicates));
    }

    [Fact]
    public async Task FeedbackImportIsAllOrNothingUnlessAskedAndNeverDuplicates()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Acme", email = "a@acme.example", country = "DE", externalRef = "ACME-1" });
        await pm.PostAsJsonAsync("/api/v1/themes", new { name = "Billing", keywords = new[] { "invoice" } });
        // Columns named the other system's way, mapped by the caller; a quote and a comma inside a quoted field.
        const string file = """
            Comment,Source,Account,Id
            "The invoice said ""paid"", but it was not",Email,ACME-1,m-1
            Great onboarding,Interview,,m-2
            ,Email,,m-3
            Lovely reports,Carrier pigeon,,m-4
            """;
        const string map = "?map=text:Comment,channel:Source,customer:Account,sourceRef:Id";

        var refused = await pm.PostAsync($"/api/v1/feedback/import{map}", Csv(file));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var report = await refused.ReadAsync<CsvImportResult>();
        Assert.False(report.Applied);
        Assert.Equal(4, report.RowsRead);
        Assert.Equal([(4, "text"), (5, "channel")], report.Rejected.Select(r => (r.Row, r.Field)));
        Assert.Empty((await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback", Json.Options))!.Items);

        var partial = await (await pm.PostAsync($"/api/v1/feedback/import{map}&allOrNothing=false", Csv(file))).ReadAsync<CsvImportResult>();
        Assert.True(partial.Applied);
        Assert.Equal(2, partial.Imported);
        Assert.Equal(2, partial.Rejected.Count);
        var items = (await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback", Json.Options))!.Items;
        var quoted = items.Single(i => i.SourceRef == "m-1");
        Assert.Equal("The invoice said \"paid\", but it was not", quoted.Text);
        Assert.Equal("Acme", quoted.Customer!.Name);
        Assert.Equal(["Billing"], quoted.Themes.Select(t => t.Name));

        var again = await (await pm.PostAsync($"/api/v1/feedback/import{map}&allOrNothing=false", Csv(file))).ReadAsync<CsvImportResult>();
        Assert.Equal(0, again.Imported);
        Assert.Equal(2, again.Duplicates);
        Assert.Equal(2, (await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback", Json.Options))!.Items.Count);
    }

    [Fact]
    public async Task DuplicatesAreFoundAcrossBatchesWithoutHoldingTheFileInMemory()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Batches", kind = "Nps", question = "Recommend us?" })).ReadAsync<SurveyDto>();

        // 12 000 answers (three batches of 5 000); the last repeats the reference of row 11, two batches earlier.
        var answers = new StringBuilder("score,respondedAt,externalRef\n");
        for (var i = 0; i < 12_000; i++)
        {
            answers.Append(i % 11).Append(",2026-04-02T08:00:00Z,b-").Append(i == 11_999 ? 9 : i).Append('\n');
        }

        var first = await (await pm.PostAsync($"/api/v1/surveys/{survey.Id}/responses/import", Csv(answers.ToString()))).ReadAsync<CsvImportResult>();
        Assert.Equal((12_000, 11_999, 1), (first.RowsRead, first.Imported, first.Duplicates));
        var again = await (await pm.PostAsync($"/api/v1/surveys/{survey.Id}/responses/import", Csv(answers.ToString()))).ReadAsync<CsvImportResult>();
        Assert.Equal((0, 12_000), (again.Imported, again.Duplicates));

        // Feedback without references, 11 000 rows: the last has the same content as the first (a row two batches back).
        var feedback = new StringBuilder("text,channel\n");
        for (var i = 0; i < 11_000; i++)
        {
            feedback.Append("Report ").Append(i == 10_999 ? 0 : i).Append(" loads slowly on Mondays,Email\n");
        }

        var items = await (await pm.PostAsync("/api/v1/feedback/import", Csv(feedback.ToString()))).ReadAsync<CsvImportResult>();
        Assert.Equal((10_999, 1), (items.Imported, items.Duplicates));
        var itemsAgain = await (await pm.PostAsync("/api/v1/feedback/import", Csv(feedback.ToString()))).ReadAsync<CsvImportResult>();
        Assert.Equal((0, 11_000), (itemsAgain.Imported, itemsAgain.Duplicates));
    }

    [Fact]
    public async Task AnImportTakesAFileLargerThanTheServersThirtyMegabytesAndOtherEndpointsDoNot()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Big NPS", kind = "Nps", question = "Recommend us?" })).ReadAsync<SurveyDto>();

        // 10 500 answers, each with a 3 000-character column the import does not map: about 32 MB.
        const int Rows = 10_500;
        var notes = new string('n', 3_000);
        var file = new StringBuilder("score,respondedAt,externalRef,notes\n", Rows * 3_050);
        for (var i = 0; i < Rows; i++)
        {
            file.Append(i % 11).Append(",2026-03-").Append((i % 28 + 1).ToString("00")).Append("T10:00:00Z,big-").Append(i).Append(',').Append(notes).Append('\n');
        }

        Assert.True(file.Length > 31_000_000);
        // With an idempotency key too: the key's hash reads the body under the import's limit, not the server's.
        using var keyed = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/surveys/{survey.Id}/responses/import") { Content = Csv(file.ToString()) };
        keyed.Headers.Add("Idempotency-Key", "big-import-1");
        var imported = await (await pm.SendAsync(keyed)).ReadAsync<CsvImportResult>();
        Assert.Equal((Rows, Rows), (imported.RowsRead, imported.Imported));

        // The same size elsewhere is refused by the server's own limit, as problem details (the client waits for
        // "100 Continue", so it reads the refusal instead of writing into a closed connection).
        using var large = new HttpRequestMessage(HttpMethod.Post, "/api/v1/feedback/bulk")
        {
            Content = new StringContent($"{{\"items\":[],\"pad\":\"{new string('x', 31_000_000)}\"}}", Encoding.UTF8, "application/json"),
        };
        large.Headers.ExpectContinue = true;
        // HttpClient gives up waiting for "100 Continue" after one second and writes the body anyway; on a busy machine
        // the refusal comes later than that, into a closed connection. This client waits for it.
        using var patient = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) }) { BaseAddress = app.BaseAddress };
        patient.DefaultRequestHeaders.Add(Psm.Web.Features.Account.ApiKey.HeaderName, await app.IssueKeyAsync(PsmServer.EmailOf(Roles.ProductManager)));
        var tooLarge = await patient.SendAsync(large);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType?.MediaType);
        var refusal = await tooLarge.Content.ReadAsStringAsync();
        Assert.True(refusal.Contains("Imports:MaxRequestBodyMb"), refusal);
    }

    [Fact]
    public async Task RefusesEmptyNonUtf8AndUnmappableFiles()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        Assert.Contains("empty", (await Errors(await pm.PostAsync("/api/v1/feedback/import", Csv(""))))["file"][0]);

        var latin1 = new ByteArrayContent([.. Encoding.ASCII.GetBytes("text,channel\nCaf"), 0xE9, .. Encoding.ASCII.GetBytes(" was slow,Email\n")]);
        latin1.Headers.ContentType = new("text/csv");
        Assert.Contains("UTF-8", (await Errors(await pm.PostAsync("/api/v1/feedback/import", latin1)))["file"][0]);

        var unmapped = await Errors(await pm.PostAsync("/api/v1/feedback/import", Csv("words,where\nhello,Email\n")));
        Assert.Contains(unmapped["map"], m => m.Contains("text"));
        Assert.Empty((await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback", Json.Options))!.Items);

        var preview = await (await pm.PostAsync("/api/v1/feedback/import/preview", Csv("Text,Channel,Received_At\nHi,Email,2026-01-01\n"))).ReadAsync<ImportPreview>();
        Assert.Equal("Received_At", preview.SuggestedMapping["receivedAt"]);
        Assert.Single(preview.Sample);
    }

    [Fact]
    public async Task ResponseImportChecksScaleCustomersAndWavesAndTurnsCommentsIntoFeedback()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var acme = await (await pm.PostAsJsonAsync("/api/v1/customers",
            new { name = "Acme", email = "a@acme.example", country = "DE", externalRef = "ACME-1" })).ReadAsync<CustomerDto>();
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "NPS", kind = "Nps", question = "Recommend us?" })).ReadAsync<SurveyDto>();
        const string file = """
            score,comment,customer,respondedAt,externalRef
            10,Excellent support,ACME-1,2026-03-01T10:00:00Z,r-1
            11,,,,r-2
            3,,ACME-1,,r-3
            0,Too slow,NOBODY,,r-4
            8,,,,r-5
            """;

        var refused = await (await pm.PostAsync($"/api/v1/surveys/{survey.Id}/responses/import", Csv(file))).ReadAsync<CsvImportResult>();
        Assert.False(refused.Applied);
        Assert.Equal([3, 4, 5], refused.Rejected.Select(r => r.Row)); // scale, the same customer twice in a wave, an unknown customer

        var partial = await (await pm.PostAsync($"/api/v1/surveys/{survey.Id}/responses/import?allOrNothing=false", Csv(file))).ReadAsync<CsvImportResult>();
        Assert.Equal(2, partial.Imported);
        var results = await pm.GetFromJsonAsync<SurveyResultsDto>($"/api/v1/surveys/{survey.Id}/results?from=2026-01-01&to=2027-01-01", Json.Options);
        Assert.Equal(2, results!.Overall!.Responses);
        Assert.Equal(50, results.Overall.Value, 6); // one promoter, one passive
        var comment = Assert.Single(results.Comments);
        Assert.Equal("Excellent support", comment.Text);
        Assert.Equal(acme.Id, comment.Customer!.Id);

        var again = await (await pm.PostAsync($"/api/v1/surveys/{survey.Id}/responses/import?allOrNothing=false", Csv(file))).ReadAsync<CsvImportResult>();
        Assert.Equal(0, again.Imported);
        Assert.Equal(2, again.Duplicates);
    }
}
