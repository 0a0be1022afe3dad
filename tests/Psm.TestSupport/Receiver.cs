using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Psm.TestSupport;

/// <summary>
/// A receiver of webhooks: Kestrel on a loopback port, recording every POST (headers and body) and answering what the
/// test tells it to. Real HTTP, so PSM's deliverer, timeouts and signature are exercised as a customer's receiver would see them.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication app;

    public sealed record Request(string Body, string? EventId, string? EventType, string? Signature, int Answered)
    {
        /// <summary>One part of the PSM-Signature header: <c>t</c> (Unix seconds) or <c>v1</c> (hex HMAC).</summary>
        public string SignaturePart(string name) =>
            Signature!.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1])[name];

        /// <summary>The HMAC-SHA256 a receiver recomputes with its secret over "t.body" (as the README shows), in hex.</summary>
        public string ExpectedSignature(string secret) => Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes($"{SignaturePart("t")}.{Body}")));
    }

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>The status to answer for the n-th request (0-based); 200 unless set.</summary>
    public Func<int, int> Answer { get; set; } = _ => 200;

    private int count;

    private Receiver(WebApplication app) => this.app = app;

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            var status = receiver.Answer(Interlocked.Increment(ref receiver.count) - 1);
            receiver.Requests.Enqueue(new Request(body, http.Request.Headers["PSM-Event-Id"], http.Request.Headers["PSM-Event-Type"], http.Request.Headers["PSM-Signature"], status));
            http.Response.StatusCode = status;
            await http.Response.WriteAsync(status == 200 ? "ok" : "receiver is down");
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks/psm";
        return receiver;
    }

    public string Url { get; private set; } = "";

    public async Task<IReadOnlyList<Request>> WaitForAsync(Func<IReadOnlyList<Request>, bool> done, string what, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            var now = Requests.ToList();
            if (done(now))
            {
                return now;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The receiver did not get {what} within {seconds} s; it got {Requests.Count} request(s): {string.Join(" | ", Requests.Select(r => r.EventType + " " + r.Answered))}");
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
