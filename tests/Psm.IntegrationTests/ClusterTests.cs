using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>
/// Two PSM processes behind a real HAProxy (deploy/haproxy.cfg.template) on one database, as docs/operations.md deploys
/// them: writes survive an instance killed mid-load, and the public links' limits are one per client address across instances.
/// </summary>
public sealed class ClusterTests
{
    private const string Instance = "X-Psm-Instance";

    [Fact]
    public async Task AWriteLoadThroughTheBalancerKeepsEveryAcknowledgedWriteOnceWhenAnInstanceIsKilled()
    {
        await using var cluster = await PsmCluster.StartAsync();
        var key = await cluster.Owner.IssueKeyAsync(PsmServer.EmailOf(Roles.ProductManager));
        var run = Guid.NewGuid().ToString("N")[..8];
        const int writes = 240, workers = 6, killAfter = 80;
        var acknowledged = new ConcurrentDictionary<string, string>();
        var unanswered = new ConcurrentBag<string>();
        var killedAt = -1;
        var next = -1;
        using var client = cluster.Client();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        async Task Worker()
        {
            while (Interlocked.Increment(ref next) is var i && i < writes)
            {
                var text = $"Cluster write {run} #{i:D3}: the export page should remember my columns";
                var idempotency = Guid.NewGuid().ToString();
                var answeredBy = await WriteAsync(client, text, idempotency);
                if (answeredBy is null)
                {
                    unanswered.Add(text);
                    continue;
                }

                acknowledged[text] = answeredBy;
                if (acknowledged.Count == killAfter && Interlocked.CompareExchange(ref killedAt, i, -1) == -1)
                {
                    cluster.Instances[0].Kill();
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(Worker)));

        Assert.True(killedAt >= 0, "The instance was never killed.");
        Assert.True(cluster.Instances[0].HasExited);
        // Before the kill both instances answered.
        var byInstance = acknowledged.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(byInstance.ContainsKey("app1") && byInstance.ContainsKey("app2"), "Answered by: " + string.Join(", ", byInstance));
        // A write in flight on the killed instance may stay unanswered (its Idempotency-Key is held by the dead request): at most one per worker.
        Assert.True(unanswered.Count <= workers, $"{unanswered.Count} writes never answered.");
        Assert.Equal(writes, acknowledged.Count + unanswered.Count);

        await using var scope = cluster.Owner.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        var stored = (await db.Feedback.AsNoTracking().Where(f => f.Text.StartsWith($"Cluster write {run} ")).Select(f => f.Text).ToListAsync())
            .GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(acknowledged.Keys, text => Assert.True(stored.GetValueOrDefault(text) == 1, $"'{text}' is stored {stored.GetValueOrDefault(text)} times."));
        Assert.All(stored, pair => Assert.Equal(1, pair.Value));
        Assert.True(stored.Count <= writes);
    }

    /// <summary>
    /// Posts one feedback item through the balancer until it is answered, with the same Idempotency-Key every time: a retry
    /// after a dropped connection or a 502/503 from the balancer gets the first answer again rather than a second item.
    /// Returns the instance that answered, or null when the key stays held by a request the killed instance never finished.
    /// </summary>
    private static async Task<string?> WriteAsync(HttpClient client, string text, string idempotency)
    {
        var held = 0;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/feedback")
            {
                Content = JsonContent.Create(new { text, channel = "Email" }),
            };
            request.Headers.Add("Idempotency-Key", idempotency);
            try
            {
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return response.Headers.GetValues(Instance).Single();
                }

                if (response.StatusCode == HttpStatusCode.Conflict && ++held > 20)
                {
                    return null;
                }

                Assert.True(
                    response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
                    $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException)
            {
                // The connection dropped with the instance: send it again.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"'{text}' was not answered in 200 attempts.");
    }

    [Fact]
    public async Task PublicLinksAreLimitedPerForwardedClientAddressAcrossInstances()
    {
        await using var cluster = await PsmCluster.StartAsync(settings: new() { ["Surveys:PublicAnswersPerMinute"] = "6" });
        // The limit counts in one-minute windows: start early in one, so that the requests below fall into it.
        if (DateTime.UtcNow.Second > 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        }

        using var office = cluster.Client(from: "127.0.0.2");
        var answers = new List<(HttpStatusCode Status, string Instance)>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await office.GetAsync($"/api/v1/public/surveys/no-such-link-{i}");
            answers.Add((response.StatusCode, response.Headers.GetValues(Instance).Single()));
        }

        // Round robin sent the requests to both instances, and between them they let six through, not six each.
        Assert.Equal(2, answers.Select(a => a.Instance).Distinct().Count());
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.NotFound, 6).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 4)), answers.Select(a => a.Status));

        // Another client address (forwarded by the balancer in X-Forwarded-For) has its own count.
        using var home = cluster.Client(from: "127.0.0.3");
        using var other = await home.GetAsync("/api/v1/public/surveys/no-such-link");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var limited = await office.GetAsync("/api/v1/public/surveys/no-such-link");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
    }
}
