using System.Diagnostics;
using System.Globalization;
using System.Net;
using Psm.Web.Features.Account;

namespace Psm.Bench;

/// <summary>
/// cluster-read-http and cluster-write-http (PostgreSQL): what running two instances behind HAProxy costs. Two PSM apps
/// on one database, the Data Protection keys and public rate limits in it, HAProxy in front with
/// deploy/haproxy.cfg.template; the limit is one of the two instances reached directly. Both sit in this process on the
/// same two cores, so the second instance adds no CPU: the ratio is the price of the balancer's hop and of coordination.
/// Read-heavy: nine feedback list pages (50 items) to one new item; write-heavy: the other way round. 16 connections.
/// </summary>
public static class ClusterScenarios
{
    public const string Read = "cluster-read-http";
    public const string Write = "cluster-write-http";
    private const int Connections = 16;

    public static async Task<ScenarioResult?> RunAsync(string provider, bool writeHeavy, int requestsPerRun, int repeats)
    {
        const string haproxy = "/usr/sbin/haproxy";
        if (provider != "postgres" || !File.Exists(haproxy))
        {
            return null; // several instances share a PostgreSQL; HAProxy comes from Debian's packages (bench/run.sh installs it)
        }

        await using var database = await BenchDatabase.CreateAsync(provider);
        var settings = new Dictionary<string, string?>
        {
            ["ApiKeys:RequestsPerMinute"] = "100000000", ["DataProtection:Keys"] = "Database", ["RateLimits:Store"] = "Database",
        };
        var (first, firstAddress) = await BenchHost.StartAsync(database, settings);
        await using var _ = first;
        var (second, secondAddress) = await BenchHost.StartAsync(database, settings);
        await using var __ = second;
        var token = await HttpCreateScenario.KeyAndThemesAsync(database);

        var folder = Directory.CreateTempSubdirectory("psm-bench-cluster-").FullName;
        var port = FreePort();
        var config = Path.Combine(folder, "haproxy.cfg");
        var servers = string.Join('\n', new[] { ("app1", firstAddress), ("app2", secondAddress) }
            .Select(s => $"    server {s.Item1} 127.0.0.1:{s.Item2.Port} cookie {s.Item1}"));
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(Path.Combine(BenchHost.RepositoryRoot(), "deploy", "haproxy.cfg.template")))
            .Replace("{{BIND}}", $"127.0.0.1:{port}").Replace("{{SERVERS}}", servers));
        using var balancer = Process.Start(new ProcessStartInfo(haproxy, $"-db -f \"{config}\"") { UseShellExecute = false, RedirectStandardError = true })!;
        try
        {
            using var balanced = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections, UseCookies = false })
            { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            using var direct = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections, UseCookies = false }) { BaseAddress = firstAddress };
            for (var i = 0; i < 100 && !(await TryReadyAsync(balanced)); i++)
            {
                await Task.Delay(100);
            }

            // Something to list: 500 items, through the API like the rest.
            await HttpLoad.RunAsync(direct, Connections, 500, n => HttpCreateScenario.FeedbackRequest("/api/v1/feedback", n, token));

            HttpRequestMessage Next(int n)
            {
                var isWrite = writeHeavy ? n % 10 != 0 : n % 10 == 0;
                if (isWrite)
                {
                    return HttpCreateScenario.FeedbackRequest("/api/v1/feedback", n, token);
                }

                var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/feedback?limit=50");
                read.Headers.Add(ApiKey.HeaderName, token);
                return read;
            }

            List<double> balancedLatencies = [], directLatencies = [];
            var (psm, raw) = await Measurement.PairAsync(
                async () => balancedLatencies = await HttpLoad.RunAsync(balanced, Connections, requestsPerRun, Next),
                async () => directLatencies = await HttpLoad.RunAsync(direct, Connections, requestsPerRun, Next), repeats);
            return new ScenarioResult(writeHeavy ? Write : Read, provider, requestsPerRun, "requests/s", psm, raw,
                requestsPerRun / psm.Elapsed.TotalSeconds, requestsPerRun / raw.Elapsed.TotalSeconds,
                string.Create(CultureInfo.InvariantCulture,
                    $"one of the two instances reached directly, {Connections} connections, {(writeHeavy ? "9 writes : 1 read" : "9 reads : 1 write")}; p95 {HttpLoad.P95(balancedLatencies):N0} ms via HAProxy vs {HttpLoad.P95(directLatencies):N0} ms direct"));
        }
        finally
        {
            balancer.Kill();
            await balancer.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<bool> TryReadyAsync(HttpClient client)
    {
        try
        {
            return (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
