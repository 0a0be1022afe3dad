using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Psm.Web.Infrastructure;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.IntegrationTests;

/// <summary>Periodic jobs on two instances over one database: one runs them, the runs are recorded, and the other takes over.</summary>
public sealed class JobsTests
{
    private static readonly Dictionary<string, string?> EverySecond = new() { ["Sla:MonitorSeconds"] = "1", ["Commerce:FiguresSeconds"] = "0" };

    [Fact]
    public async Task TheSlaMonitorRunsOnceEachPeriodAcrossTwoInstancesAndTheOtherTakesOverWhenItsHolderStops()
    {
        // The database's owner runs no monitor; two more instances on its database run it every second.
        await using var owner = new PsmServer(new() { ["Sla:MonitorSeconds"] = "0" });
        var instances = new Dictionary<string, PsmServer>();
        await using var one = new PsmServer(new(EverySecond.Concat(owner.SameDatabase()).ToDictionary()));
        await using var two = new PsmServer(new(EverySecond.Concat(owner.SameDatabase()).ToDictionary()));
        instances[Id(one)] = one;
        instances[Id(two)] = two;
        using var admin = await owner.ClientFor(PsmServer.EmailOf(Roles.Admin));

        // Both tick every second; one holds the lease and runs, and every recorded run is its own.
        var first = await WaitForAsync(admin, j => j.Runs >= 2);
        Assert.Contains(first.Holder!, instances.Keys);
        Assert.Equal(first.Holder, first.LastRunBy);
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var later = await SlaMonitorAsync(admin);
        // One instance ticks at most once a second (a late tick is not made up twice); two would count about twice as many.
        Assert.InRange(later.Runs - first.Runs, 1, (long)Math.Ceiling(watch.Elapsed.TotalSeconds) + 1);
        Assert.Equal(first.Holder, later.Holder);
        Assert.Equal(first.Holder, later.LastRunBy);
        Assert.Null(later.LastError);

        // The holder stops (giving the lease up on the way out); the other instance takes the job over.
        await instances[first.Holder!].DisposeAsync();
        var other = instances.Keys.Single(k => k != first.Holder);
        var takenOver = await WaitForAsync(admin, j => j.Holder == other && j.LastRunBy == other);
        Assert.True(takenOver.Runs > later.Runs);
    }

    [Fact]
    public async Task OnlyAdminsSeeTheJobs()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        Assert.Equal(HttpStatusCode.Forbidden, (await pm.GetAsync("/api/v1/jobs")).StatusCode);
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/jobs")).StatusCode);
    }

    private static string Id(PsmServer server) => server.Services.GetRequiredService<PsmInstance>().Id;

    private static Task<JobDto> SlaMonitorAsync(HttpClient admin) => JobAsync(admin, "SlaMonitor");

    private static Task<JobDto> WaitForAsync(HttpClient admin, Func<JobDto, bool> condition) =>
        WaitForJobAsync(admin, "SlaMonitor", condition, TimeSpan.FromSeconds(30));

    /// <summary>The job's record as admins see it (an empty one before its first run).</summary>
    internal static async Task<JobDto> JobAsync(HttpClient admin, string name)
    {
        var response = await admin.GetAsync("/api/v1/jobs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jobs = await response.Content.ReadFromJsonAsync<List<JobDto>>(Json.Options);
        return jobs!.SingleOrDefault(j => j.Name == name) ?? new JobDto(name, null, null, null, null, 0, null);
    }

    /// <summary>Reads the job's record until <paramref name="condition"/> holds, failing after <paramref name="limit"/>.</summary>
    internal static async Task<JobDto> WaitForJobAsync(HttpClient admin, string name, Func<JobDto, bool> condition, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var job = await JobAsync(admin, name);
            if (condition(job))
            {
                return job;
            }

            Assert.True(deadline.Elapsed < limit, $"The {name} job's record never got there: {job}");
            await Task.Delay(250);
        }
    }
}
