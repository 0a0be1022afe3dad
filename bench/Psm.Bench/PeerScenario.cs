using System.Globalization;
using System.Net.Http.Json;

namespace Psm.Bench;

/// <summary>
/// peer-create-http: single creates over HTTP, 16 connections, PSM (POST /api/v1/feedback with an API key, the whole
/// app on PostgreSQL, with the same 40 themes as feedback-create-http) against LogChimp 0.9.0 (POST /api/v1/posts with its owner's token, Node on the same PostgreSQL
/// server), both on loopback. The two are run in turn, LogChimp first, and each one's median run is kept. LogChimp
/// is started by ../shared/peers/logchimp-up.sh; the scenario reads LC_BASE, LC_TOKEN and LC_BOARD from the
/// environment and runs on PostgreSQL only (LogChimp has no SQLite).
/// </summary>
public static class PeerScenario
{
    public const string Name = "peer-create-http";
    private const int Connections = 16;

    public static async Task<ScenarioResult?> RunAsync(string provider, int requestsPerRun, int repeats)
    {
        if (provider != "postgres")
        {
            return null;
        }

        if (Environment.GetEnvironmentVariable("LC_BASE") is not { Length: > 0 } peer)
        {
            Console.WriteLine("  LC_BASE, LC_TOKEN and LC_BOARD are not set: start LogChimp with ../shared/peers/logchimp-up.sh and export its last line.");
            return null;
        }

        var peerToken = Environment.GetEnvironmentVariable("LC_TOKEN")!;
        var board = Environment.GetEnvironmentVariable("LC_BOARD")!;

        await using var database = await BenchDatabase.CreateAsync(provider);
        var (app, address) = await BenchHost.StartAsync(database, new() { ["ApiKeys:RequestsPerMinute"] = "100000000" });
        await using var _ = app;
        var token = await HttpCreateScenario.KeyAndThemesAsync(database);

        using var psmHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections }) { BaseAddress = address };
        using var peerHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections }) { BaseAddress = new Uri(peer) };
        var texts = HttpCreateScenario.Texts;
        HttpRequestMessage Peer(int n)
        {
            var text = texts[n % texts.Length];
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts")
            {
                Content = JsonContent.Create(new { title = $"{text[..40]} (#{n})", contentMarkdown = text, boardId = board }),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", peerToken);
            return request;
        }

        List<double> psmLatencies = [], peerLatencies = [];
        var (psm, limit) = await Measurement.PairAsync(
            async () => psmLatencies = await HttpLoad.RunAsync(psmHttp, Connections, requestsPerRun, n => HttpCreateScenario.FeedbackRequest("/api/v1/feedback", n, token)),
            async () => peerLatencies = await HttpLoad.RunAsync(peerHttp, Connections, requestsPerRun, Peer), repeats);
        return new ScenarioResult(Name, provider, requestsPerRun, "creates/s", psm, limit, requestsPerRun / psm.Elapsed.TotalSeconds, requestsPerRun / limit.Elapsed.TotalSeconds,
            string.Create(CultureInfo.InvariantCulture,
                $"LogChimp 0.9.0 (Node, same PostgreSQL server) creating posts, {Connections} connections; p95 PSM {HttpLoad.P95(psmLatencies):N0} ms, LogChimp {HttpLoad.P95(peerLatencies):N0} ms; LogChimp's memory is its own process, not shown"));
    }
}
