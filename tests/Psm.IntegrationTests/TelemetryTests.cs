using System.Net;
using System.Text.Json;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>What operators read: Prometheus metrics when Telemetry:Prometheus is on, and JSON log lines with Telemetry:JsonLogs.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task MetricsAreScrapedWhenTurnedOnWithRequestsJobRunsAndTheOutboxDepth()
    {
        await using (var off = new PsmServer())
        {
            using var anonymous = off.Anonymous();
            Assert.NotEqual(HttpStatusCode.OK, (await anonymous.GetAsync("/metrics")).StatusCode);
        }

        // The metered instance runs in its own process, as operators run it: the meters of ASP.NET Core and PSM are the
        // process's, and another test's server in this one would add its requests and job runs to what is scraped.
        await using var owner = new PsmServer(new() { ["Sla:MonitorSeconds"] = "0", ["Outbox:SendSeconds"] = "0" });
        var settings = owner.SameDatabase();
        settings["Telemetry:Prometheus"] = "true";
        settings["Sla:MonitorSeconds"] = "1";
        settings["Outbox:SendSeconds"] = "1";
        await using var app = PsmProcess.Start("metrics", settings);
        await app.WaitReadyAsync();
        using var agent = new HttpClient { BaseAddress = app.Address };
        agent.DefaultRequestHeaders.Add(ApiKey.HeaderName, await owner.IssueKeyAsync(PsmServer.EmailOf(Roles.SupportAgent)));
        for (var i = 0; i < 3; i++)
        {
            (await agent.GetAsync("/api/v1/customers")).EnsureSuccessStatusCode();
        }

        // A request is counted as it ends, which can be just after its answer reached the client: scrape until all is there.
        using var scraper = new HttpClient { BaseAddress = app.Address };
        var until = DateTime.UtcNow.AddSeconds(30);
        string[] lines;
        while (true)
        {
            var response = await scraper.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            lines = (await response.Content.ReadAsStringAsync()).Split('\n');
            if ((CustomerListsCounted(lines) && SlaMonitorRunsCounted(lines) && OutboxGauged(lines)) || DateTime.UtcNow > until)
            {
                break;
            }

            await Task.Delay(500);
        }

        // Requests by route and status: the three customer lists are counted under their route.
        Assert.True(CustomerListsCounted(lines), "No count of 3 customer lists:\n" + string.Join('\n', lines.Where(l => l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal))));
        Assert.True(SlaMonitorRunsCounted(lines), "No SLA monitor runs:\n" + app.Log + "\n" + string.Join('\n', lines.Where(l => l.StartsWith("psm_", StringComparison.Ordinal))));
        Assert.True(OutboxGauged(lines), "No outbox gauge.\n" + app.Log);
    }

    private static bool CustomerListsCounted(string[] lines) =>
        lines.Any(l => l.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)
            && l.Contains("http_route=\"/api/v1/customers/\"") && l.Contains("http_response_status_code=\"200\"") && Count(l) >= 3);

    private static bool SlaMonitorRunsCounted(string[] lines) =>
        lines.Any(l => l.StartsWith("psm_job_runs_total{", StringComparison.Ordinal) && l.Contains("job=\"SlaMonitor\"") && l.Contains("outcome=\"ok\"") && Count(l) >= 1);

    private static bool OutboxGauged(string[] lines) => lines.Any(l => l.StartsWith("psm_outbox_queued", StringComparison.Ordinal));

    private static double Count(string line) =>
        double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void AnOtlpEndpointThatIsNotAnAbsoluteUrlStopsTheStartAndSaysSo()
    {
        // Traces and metrics to a collector are OpenTelemetry's exporter; no collector can be installed here to receive them
        // (none in Debian's packages), so this checks PSM's part: the setting is read, and a wrong one is named.
        var refused = Assert.ThrowsAny<Exception>(() =>
        {
            using var server = new PsmServer(new() { ["Telemetry:OtlpEndpoint"] = "the collector" });
        });
        Assert.Contains("Telemetry:OtlpEndpoint must be an absolute URL", refused.ToString());
    }

    [Fact]
    public async Task JsonLogsWriteOneObjectPerLine()
    {
        await using var owner = new PsmServer();
        var settings = owner.SameDatabase();
        settings["Telemetry:JsonLogs"] = "true";
        await using var instance = PsmProcess.Start("json", settings);
        await instance.WaitReadyAsync();
        var lines = instance.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var started = lines.Select(l => JsonDocument.Parse(l).RootElement)
            .FirstOrDefault(e => e.GetProperty("Category").GetString() == "Microsoft.Hosting.Lifetime" && e.GetProperty("Message").GetString()!.Contains("listening"));
        Assert.Equal(JsonValueKind.Object, started.ValueKind);
        Assert.Equal("Information", started.GetProperty("LogLevel").GetString());
        Assert.True(started.TryGetProperty("Timestamp", out _));
    }
}
