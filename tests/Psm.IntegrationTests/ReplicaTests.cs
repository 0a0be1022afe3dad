using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>Reports read from a PostgreSQL streaming replica (ConnectionStrings:PsmReplica); test.sh starts one of its throwaway server.</summary>
public sealed class ReplicaTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task ReportsDashboardsAndExportsReadTheReplicaWhichShowsAWriteOnceItIsReplayedAndAdminsSeeItsLag()
    {
        if (!TestProvider.IsPostgres)
        {
            // SQLite has no replicas: the setting stops the start and says why.
            var refused = Assert.ThrowsAny<Exception>(() =>
            {
                using var server = new PsmServer(new() { ["ConnectionStrings:PsmReplica"] = "Host=127.0.0.1;Database=psm" });
            });
            Assert.Contains("ConnectionStrings:PsmReplica", refused.ToString());
            return;
        }

        var replicaServer = Environment.GetEnvironmentVariable("PSM_TEST_POSTGRES_REPLICA")
            ?? throw new InvalidOperationException("PSM_TEST_POSTGRES_REPLICA is not set; run the suite through ./test.sh.");
        await using var owner = new PsmServer();
        var primary = new NpgsqlConnectionStringBuilder(owner.SameDatabase()["ConnectionStrings:Psm"]);
        var replica = new NpgsqlConnectionStringBuilder(replicaServer) { Database = primary.Database }.ToString();
        var settings = owner.SameDatabase();
        settings["ConnectionStrings:PsmReplica"] = replica;
        await using var app = new PsmServer(settings);
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        // A custom dashboard with one figure: the customers won this month.
        var board = await (await pm.PostAsJsonAsync("/api/v1/dashboards", new { name = "Growth" })).ReadAsync<JsonElement>();
        var boardId = board.GetProperty("id").GetString();
        (await pm.PostAsJsonAsync($"/api/v1/dashboards/{boardId}/charts", new { metricKey = "customers.new", months = 1, kind = "Figure" })).EnsureSuccessStatusCode();

        // The database was copied on the primary just now: wait until the replica has it all.
        await WaitAsync(async () => (await admin.GetFromJsonAsync<JsonElement>("/api/v1/replica")).GetProperty("lagSeconds") is { ValueKind: JsonValueKind.Number } lag
            && lag.GetDouble() == 0, "the replica to catch up");

        await using (var standby = new NpgsqlConnection(replica))
        {
            await standby.OpenAsync();
            await using (var pause = new NpgsqlCommand("SELECT pg_wal_replay_pause()", standby))
            {
                await pause.ExecuteNonQueryAsync();
            }

            try
            {
                // Written on the primary while the replica replays nothing.
                var created = await pm.PostAsJsonAsync("/api/v1/objectives", new { title = "Halve the onboarding time", periodStart = Today.AddDays(-5), periodEnd = Today.AddDays(85) });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetString()!;
                Assert.Equal(HttpStatusCode.OK, (await pm.PostAsJsonAsync($"/api/v1/objectives/{id}/activate", new { confirmSmartFailures = true })).StatusCode);
                var onPrimary = await pm.GetFromJsonAsync<JsonElement>($"/api/v1/objectives/{id}");
                Assert.Equal("Active", onPrimary.GetProperty("summary").GetProperty("status").GetString());

                var wonBefore = await NewCustomersAsync(pm, boardId);
                var customer = await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Replica Lag Ltd", email = "ops@replica-lag.example", country = "DE" });
                Assert.Equal(HttpStatusCode.Created, customer.StatusCode);

                // The company view, custom dashboards and exports read the replica: the new objective and customer are not there
                // yet (the export's audit entry is written to the primary all the same), and admins are told the replica lags.
                Assert.DoesNotContain(id, await CompanyObjectivesAsync(pm));
                Assert.Equal(wonBefore, await NewCustomersAsync(pm, boardId));
                Assert.DoesNotContain("Replica Lag Ltd", await admin.GetStringAsync("/api/v1/customers/export.csv"));
                Assert.DoesNotContain("Replica Lag Ltd", await admin.GetStringAsync("/api/v1/objectives/export.csv"));
                await WaitAsync(async () =>
                {
                    var status = await admin.GetFromJsonAsync<JsonElement>("/api/v1/replica");
                    return status.GetProperty("replayPaused").GetBoolean() && status.GetProperty("lagSeconds").GetDouble() > 0;
                }, "the replica to report its lag");

                await using (var resume = new NpgsqlCommand("SELECT pg_wal_replay_resume()", standby))
                {
                    await resume.ExecuteNonQueryAsync();
                }

                // Replayed, they show.
                await WaitAsync(async () => (await CompanyObjectivesAsync(pm)).Contains(id), "the objective to reach the replica");
                Assert.Equal(wonBefore + 1, await NewCustomersAsync(pm, boardId));
                Assert.Contains("Replica Lag Ltd", await admin.GetStringAsync("/api/v1/customers/export.csv"));
                Assert.Contains("Halve the onboarding time", await admin.GetStringAsync("/api/v1/objectives/export.csv"));
                var exported = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=Exported&entity=Customer");
                Assert.Equal(2, exported.GetProperty("items").GetArrayLength());
            }
            finally
            {
                await using var resume = new NpgsqlCommand("SELECT pg_wal_replay_resume()", standby);
                await resume.ExecuteNonQueryAsync();
            }
        }
    }

    private static async Task<double> NewCustomersAsync(HttpClient client, string? board) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/v1/dashboards/{board}")).GetProperty("charts")[0].GetProperty("value").GetDouble();

    private static async Task<List<string>> CompanyObjectivesAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/v1/insights/company")).GetProperty("objectives").EnumerateArray()
        .Select(o => o.GetProperty("id").GetString()!).ToList();

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"Waited 30 s for {what}.");
            await Task.Delay(200);
        }
    }
}
