using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Features.Account;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// feedback-create-http: single feedback items created through <c>POST /api/v1/feedback</c> with an API key, 16
/// connections at once, on the whole PSM app on a loopback port (authentication, rate limiting, validation, theme
/// matching against 40 themes, sentiment, the audit row and the webhook event). The limit: a bare endpoint in the same
/// process that reads the same JSON and inserts the same row with one ADO.NET command, nothing else. The two are run in
/// turn (limit, PSM, limit, PSM …) and each one's median run is kept; the load generator shares the machine with both.
/// </summary>
public static class HttpCreateScenario
{
    public const string Name = "feedback-create-http";
    private const int Connections = 16;

    public static async Task<ScenarioResult> RunAsync(string provider, int requestsPerRun, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var (app, address) = await BenchHost.StartAsync(database, new() { ["ApiKeys:RequestsPerMinute"] = "100000000" }, MapBare);
        await using var _ = app;

        var token = await KeyAndThemesAsync(database);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections }) { BaseAddress = address };
        List<double> psmLatencies = [], bareLatencies = [];
        var (psm, bare) = await Measurement.PairAsync(
            async () => psmLatencies = await HttpLoad.RunAsync(http, Connections, requestsPerRun, n => FeedbackRequest("/api/v1/feedback", n, token)),
            async () => bareLatencies = await HttpLoad.RunAsync(http, Connections, requestsPerRun, n => FeedbackRequest("/bench/bare-feedback", n, null)), repeats);
        return new ScenarioResult(Name, provider, requestsPerRun, "creates/s", psm, bare, requestsPerRun / psm.Elapsed.TotalSeconds, requestsPerRun / bare.Elapsed.TotalSeconds,
            string.Create(CultureInfo.InvariantCulture, $"bare ADO.NET endpoint in the same process, {Connections} connections; p95 {HttpLoad.P95(psmLatencies):N0} ms vs {HttpLoad.P95(bareLatencies):N0} ms"));
    }

    /// <summary>The limit: the same JSON in, the same row out, one INSERT; no authentication, checks, themes, audit or event.</summary>
    private static void MapBare(WebApplication app)
    {
        var settings = app.Services.GetService(typeof(DatabaseSettings)) as DatabaseSettings ?? throw new InvalidOperationException("No database settings.");
        var sqlite = settings.Provider == DatabaseProvider.Sqlite;
        app.MapPost("/bench/bare-feedback", async (BareInput input) =>
        {
            await using System.Data.Common.DbConnection connection = sqlite
                ? new Microsoft.Data.Sqlite.SqliteConnection(settings.ConnectionString)
                : new Npgsql.NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO "Feedback" ("Id", "Text", "Channel", "ReceivedAt", "ReceivedOn", "Status", "Sentiment", "SentimentLabel", "CreatedAt", "Version")
                VALUES (@id, @text, @channel, @at, @on, 'New', 0, 'Neutral', @at, @version)
                """;
            var now = DateTimeOffset.UtcNow;
            void Add(string name, object value)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }

            Add("id", sqlite ? NewId.Next().ToString().ToUpperInvariant() : NewId.Next());
            Add("text", input.Text);
            Add("channel", input.Channel);
            Add("at", sqlite ? now.UtcDateTime.ToString(UtcTextConverter.Format, CultureInfo.InvariantCulture) : now);
            Add("on", sqlite ? now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : DateOnly.FromDateTime(now.UtcDateTime));
            Add("version", sqlite ? Guid.NewGuid().ToString().ToUpperInvariant() : Guid.NewGuid());
            await command.ExecuteNonQueryAsync();
            return Results.Created();
        }).AllowAnonymous().DisableRateLimiting().DisableAntiforgery();
    }

    private sealed record BareInput(string Text, string Channel);

    private static readonly string[] Topics =
    ["billing", "invoice", "export", "login", "password", "dashboard", "report", "mobile", "sync", "import", "search", "speed", "api", "sso", "email",
        "calendar", "upload", "pdf", "chart", "filter", "permission", "onboarding", "training", "renewal", "refund", "pricing", "language", "timezone", "backup",
        "integration", "slack", "webhook", "notification", "print", "archive", "audit", "survey", "widget", "theme", "accessibility"];

    /// <summary>The 40 themes the create and import scenarios match against (a keyword and a phrase each).</summary>
    internal static IEnumerable<Theme> Themes() =>
        Topics.Select(t => new Theme { Name = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(t), Keywords = $"{t}*\n{t} problem", CreatedAt = DateTimeOffset.UtcNow });

    /// <summary>An API key for the bench's admin, and the 40 themes, as a company that triages feedback would have.</summary>
    internal static async Task<string> KeyAndThemesAsync(BenchDatabase database)
    {
        await using var db = await database.Factory().CreateDbContextAsync();
        var admin = await db.Users.Where(u => u.Email == BenchHost.AdminEmail).Select(u => u.Id).SingleAsync();
        var (token, key) = ApiKey.Issue(admin, "bench", ApiKeyScope.ReadWrite, DateTimeOffset.UtcNow);
        db.ApiKeys.Add(key);
        db.Themes.AddRange(Themes());
        await db.SaveChangesAsync();
        return token;
    }

    /// <summary>The n-th feedback item the create scenarios send, with the API key when one is given.</summary>
    internal static HttpRequestMessage FeedbackRequest(string path, int n, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { text = $"{Texts[n % Texts.Length]} (#{n})", channel = "Email" }) };
        if (token is not null)
        {
            request.Headers.Add(ApiKey.HeaderName, token);
        }

        return request;
    }

    /// <summary>Distinct, plausible feedback texts the create scenarios send in turn.</summary>
    internal static readonly string[] Texts =
    [
        "The invoice export drops the last line when the report has more than a hundred rows.",
        "Love the new dashboard, but the mobile sync takes ages on a slow connection.",
        "Single sign-on stopped working after the password policy changed last week.",
        "Please add a calendar view for renewals so account managers see what is coming.",
    ];
}

/// <summary>A closed-loop HTTP load: a fixed number of workers, each sending its next request when the last one is answered.</summary>
public static class HttpLoad
{
    private static int sent;

    /// <summary>Sends <paramref name="requests"/> requests over <paramref name="connections"/> workers; returns the latencies in ms, sorted.</summary>
    public static async Task<List<double>> RunAsync(HttpClient http, int connections, int requests, Func<int, HttpRequestMessage> make)
    {
        var latencies = new List<double>[connections];
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async worker =>
        {
            latencies[worker] = [];
            while (Interlocked.Increment(ref next) <= requests)
            {
                using var request = make(Interlocked.Increment(ref sent));
                var clock = Stopwatch.StartNew();
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                latencies[worker].Add(clock.Elapsed.TotalMilliseconds);
            }
        }));
        return latencies.SelectMany(l => l).Order().ToList();
    }

    public static double P95(List<double> sorted) => sorted.Count == 0 ? 0 : sorted[(int)(sorted.Count * 0.95)];
}
