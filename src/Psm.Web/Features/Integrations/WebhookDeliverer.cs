using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Integrations;

/// <summary>Signing secrets, kept protected with Data Protection: PSM must read them back to sign.</summary>
public sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("Psm.Webhooks.SigningSecret.v1");

    public static string New() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    public string Protect(string secret) => protector.Protect(secret);

    public string Unprotect(string cipher)
    {
        try
        {
            return protector.Unprotect(cipher);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException("The signing secret cannot be read with this instance's keys; make a new one (Rotate secret).", e);
        }
    }

    /// <summary>
    /// The <c>PSM-Signature</c> header: <c>t=</c> the Unix time in seconds, <c>v1=</c> the hex HMAC-SHA256, keyed with the secret,
    /// of the time, a full stop and the exact body. A receiver recomputes it and compares in constant time (README).
    /// </summary>
    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }
}

/// <summary>
/// Refuses receivers on loopback, private, link-local and other non-public addresses (server-side request forgery)
/// unless <c>Webhooks:AllowPrivateAddresses</c> is on. Checked when a subscription is saved and again at every
/// connection, on the address actually connected to (a name that later resolves elsewhere is caught there).
/// </summary>
public sealed class WebhookAddressGuard(IConfiguration config) : IDisposable
{
    private readonly Lazy<HttpClient> delivery = new(() => Client(config, TimeSpan.FromSeconds(config.GetValue("Webhooks:TimeoutSeconds", 10.0))));

    /// <summary>The client deliveries are POSTed with (one per process: its connections are pooled).</summary>
    public HttpClient Delivery => delivery.Value;

    public void Dispose()
    {
        if (delivery.IsValueCreated)
        {
            delivery.Value.Dispose();
        }
    }

    public bool AllowPrivate => config.GetValue("Webhooks:AllowPrivateAddresses", false);

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224
                     || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // carrier-grade NAT
                     || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
                     || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                     || (b[0] == 198 && (b[1] == 18 || b[1] == 19)));
        }

        var v6 = address.GetAddressBytes();
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (v6[0] & 0xFE) == 0xFC);
    }

    /// <summary>What is wrong with a receiver's URL, or null when PSM may send to it.</summary>
    public async Task<string?> ProblemAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.Host.Length == 0)
        {
            return "Give the full address of the receiver, starting with https:// (or http://).";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "Leave names and passwords out of the address; sign with the secret instead.";
        }

        if (AllowPrivate)
        {
            return null;
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, ct);
            }
            catch (SocketException)
            {
                // Not resolvable from here now; the check at connection time still applies.
                return null;
            }
        }

        return addresses.FirstOrDefault(a => !IsPublic(a)) is { } blocked
            ? $"{uri.Host} is a private or local address ({blocked}); PSM sends only to public addresses unless the server allows private ones (Webhooks:AllowPrivateAddresses)."
            : null;
    }

    /// <summary>An HTTP client that connects only to allowed addresses, follows no redirect and gives up after the timeout.</summary>
    private static HttpClient Client(IConfiguration config, TimeSpan timeout)
    {
        bool AllowPrivate() => config.GetValue("Webhooks:AllowPrivateAddresses", false);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = timeout,
            ConnectCallback = async (context, ct) =>
            {
                var addresses = IPAddress.TryParse(context.DnsEndPoint.Host.Trim('[', ']'), out var literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
                var allowed = AllowPrivate() ? addresses : addresses.Where(IsPublic).ToArray();
                if (allowed.Length == 0)
                {
                    throw new HttpRequestException($"{context.DnsEndPoint.Host} resolves only to private or local addresses; not sent.");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { Timeout = timeout };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("PSM-Webhooks/1");
        return client;
    }
}

/// <summary>Wakes the deliverer when this instance wrote events (other instances find them on their next poll).</summary>
public sealed class WebhookSignal
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Wake()
    {
        if (signal.CurrentCount == 0)
        {
            try
            {
                signal.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => signal.WaitAsync(timeout, ct);
}

public sealed record WebhookRunResult(int FannedOut, int Delivered, int Failed);

/// <summary>
/// Delivers events: first fans new events out to the subscriptions that want them (under a lease, and a unique
/// index refuses a second delivery of one event to one subscription), then delivers each subscription's queue
/// in order. A subscription is claimed by one deliverer at a time (a guarded UPDATE on its cursor), so with
/// several instances each delivery is POSTed by one of them. A failure holds the queue behind it and is retried
/// with exponential backoff and jitter (<c>Webhooks:FirstRetrySeconds</c>, doubling, at most an hour) until
/// <c>Webhooks:RetryForHours</c> (24) after the delivery was made; then the delivery fails, the subscription is
/// paused and the admins are told. Delivery is at least once: a crash after the receiver answered and before
/// PSM wrote it down sends again, with the same event id.
/// </summary>
public sealed class WebhookDeliverer
{
    private const int Batch = 200;
    private static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(2);

    private readonly IDbContextFactory<PsmDb> dbs;
    private readonly WebhookSecrets secrets;
    private readonly PublicAddress address;
    private readonly TimeProvider time;
    private readonly IConfiguration config;
    private readonly ILogger<WebhookDeliverer> logger;
    private readonly HttpClient http;

    public WebhookDeliverer(
        IDbContextFactory<PsmDb> dbs, WebhookSecrets secrets, WebhookAddressGuard guard, PublicAddress address, TimeProvider time, IConfiguration config,
        ILogger<WebhookDeliverer> logger)
    {
        (this.dbs, this.secrets, this.address, this.time, this.config, this.logger) = (dbs, secrets, address, time, config, logger);
        http = guard.Delivery;
    }

    private TimeSpan FirstRetry => TimeSpan.FromSeconds(Math.Max(0.01, config.GetValue("Webhooks:FirstRetrySeconds", 10.0)));

    private TimeSpan RetryFor => TimeSpan.FromHours(config.GetValue("Webhooks:RetryForHours", 24.0));

    private int Parallel => Math.Clamp(config.GetValue("Webhooks:Parallel", 4), 1, 32);

    /// <summary>The wait after <paramref name="failures"/> failures in a row: the first retry doubled each time, at most an hour, times 0.75-1.25.</summary>
    public static TimeSpan Backoff(TimeSpan first, int failures)
    {
        var seconds = Math.Min(3600, first.TotalSeconds * Math.Pow(2, Math.Min(30, Math.Max(0, failures - 1))));
        return TimeSpan.FromSeconds(seconds * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    public async Task<WebhookRunResult> RunAsync(CancellationToken ct = default)
    {
        var fanned = await FanOutAsync(ct);
        var (delivered, failed) = await DeliverDueAsync(ct);
        return new WebhookRunResult(fanned, delivered, failed);
    }

    /// <summary>Makes the deliveries of events not fanned out yet, oldest first, for the subscriptions that existed when each happened.</summary>
    public async Task<int> FanOutAsync(CancellationToken ct = default)
    {
        var total = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var now = time.GetUtcNow();
            // A read first: an idle PSM polls without writing the lease every few seconds.
            if (!await db.WebhookEvents.AnyAsync(e => !e.FannedOut, ct))
            {
                return total;
            }

            if (!await Leases.TryTakeAsync(db, "webhooks.fanout", Leases.ThisInstance, TimeSpan.FromMinutes(1), now, ct))
            {
                return total;
            }

            var events = await db.WebhookEvents.AsNoTracking().Where(e => !e.FannedOut).OrderBy(e => e.OccurredAt).ThenBy(e => e.Id)
                .Select(e => new { e.Id, e.Type, e.OccurredAt }).Take(2000).ToListAsync(ct);
            if (events.Count == 0)
            {
                await Leases.ReleaseAsync(db, "webhooks.fanout", Leases.ThisInstance, ct);
                return total;
            }

            var subscriptions = (await db.WebhookSubscriptions.AsNoTracking().Select(s => new { s.Id, s.Events, s.CreatedAt }).ToListAsync(ct))
                .Select(s => (s.Id, Events: s.Events.Split(',').ToHashSet(), s.CreatedAt)).ToList();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var deliveries = new List<WebhookDelivery>();
            foreach (var e in events)
            {
                foreach (var s in subscriptions.Where(s => s.Events.Contains(e.Type) && s.CreatedAt <= e.OccurredAt))
                {
                    deliveries.Add(new WebhookDelivery
                    {
                        SubscriptionId = s.Id, EventId = e.Id, EventType = e.Type, OrderKey = e.OccurredAt, CreatedAt = now, Status = DeliveryStatus.Queued,
                    });
                }
            }

            if (deliveries.Count > 0)
            {
                await using var writer = BulkWriter<WebhookDelivery>.Open(db);
                foreach (var d in deliveries)
                {
                    await writer.WriteAsync(d, ct);
                }

                await writer.CompleteAsync(ct);
            }

            var ids = events.Select(e => e.Id).ToList();
            await db.WebhookEvents.Where(e => ids.Contains(e.Id)).ExecuteUpdateAsync(s => s.SetProperty(e => e.FannedOut, true), ct);
            await transaction.CommitAsync(ct);
            total += events.Count;
        }
    }

    /// <summary>Claims the subscriptions with something due and delivers their queues, several subscriptions at once.</summary>
    public async Task<(int Delivered, int Failed)> DeliverDueAsync(CancellationToken ct = default)
    {
        int delivered = 0, failed = 0;
        while (true)
        {
            var claimed = await ClaimAsync(ct);
            if (claimed.Count == 0)
            {
                return (delivered, failed);
            }

            await System.Threading.Tasks.Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = ct },
                async (claim, token) =>
                {
                    var (d, f) = await DeliverQueueAsync(claim.SubscriptionId, claim.Token, token);
                    Interlocked.Add(ref delivered, d);
                    Interlocked.Add(ref failed, f);
                });
        }
    }

    private sealed record Claim(Guid SubscriptionId, string Token);

    private async Task<List<Claim>> ClaimAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var due = await db.WebhookCursors
            .Where(c => (c.RetryAt == null || c.RetryAt <= now) && (c.LockedUntil == null || c.LockedUntil < now)
                        && db.WebhookSubscriptions.Any(s => s.Id == c.SubscriptionId && s.Status == WebhookStatus.Active)
                        && db.WebhookDeliveries.Any(d => d.SubscriptionId == c.SubscriptionId && d.Status == DeliveryStatus.Queued))
            .Select(c => c.SubscriptionId).Take(64).ToListAsync(ct);
        var claims = new List<Claim>();
        foreach (var id in due)
        {
            // The same condition again in the UPDATE: a subscription another deliverer claimed in between is left to it.
            var token = Guid.NewGuid().ToString("N");
            if (await db.WebhookCursors.Where(c => c.SubscriptionId == id && (c.LockedUntil == null || c.LockedUntil < now) && (c.RetryAt == null || c.RetryAt <= now))
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.LockedBy, token).SetProperty(c => c.LockedUntil, now + ClaimFor), ct) == 1)
            {
                claims.Add(new Claim(id, token));
            }
        }

        return claims;
    }

    private sealed record Pending(Guid Id, Guid EventId, string EventType, DateTimeOffset CreatedAt, int Attempts, string Type, DateTimeOffset OccurredAt, string Data);

    /// <summary>One subscription's queue, in order, until it is empty or its head fails; each batch's outcomes are written at once.</summary>
    private async Task<(int Delivered, int Failed)> DeliverQueueAsync(Guid subscriptionId, string token, CancellationToken ct)
    {
        int delivered = 0, failed = 0;
        await using var db = await dbs.CreateDbContextAsync(ct);
        try
        {
            var subscription = await db.WebhookSubscriptions.AsNoTracking().SingleAsync(s => s.Id == subscriptionId, ct);
            var secret = subscription.Kind == WebhookKind.Webhook ? secrets.Unprotect(subscription.SecretCipher) : "";
            var cursor = await db.WebhookCursors.SingleAsync(c => c.SubscriptionId == subscriptionId, ct);
            while (true)
            {
                var pending = await db.WebhookDeliveries.AsNoTracking()
                    .Where(d => d.SubscriptionId == subscriptionId && d.Status == DeliveryStatus.Queued)
                    .OrderBy(d => d.OrderKey).ThenBy(d => d.Id)
                    .Join(db.WebhookEvents, d => d.EventId, e => e.Id, (d, e) => new Pending(d.Id, d.EventId, d.EventType, d.CreatedAt, d.Attempts, e.Type, e.OccurredAt, e.Data))
                    .Take(Batch).ToListAsync(ct);
                if (pending.Count == 0)
                {
                    break;
                }

                var stop = false;
                var succeeded = new List<Guid>(pending.Count);
                foreach (var p in pending)
                {
                    var body = Body(subscription.Kind, p.EventId, p.Type, p.OccurredAt, p.Data);
                    var attempt = await PostAsync(subscription, secret, p, body, ct);
                    var now = time.GetUtcNow();
                    attempt.At = now;
                    db.WebhookAttempts.Add(attempt);
                    if (attempt.StatusCode is >= 200 and < 300)
                    {
                        // Written for the whole batch at once below, from its attempt rows.
                        succeeded.Add(p.Id);
                        cursor.Failures = 0;
                        cursor.RetryAt = null;
                        delivered++;
                        continue;
                    }

                    var delivery = new WebhookDelivery { Id = p.Id };
                    db.WebhookDeliveries.Attach(delivery);
                    delivery.Attempts = p.Attempts + 1;
                    delivery.LastStatusCode = attempt.StatusCode;
                    delivery.LastError = attempt.Error ?? $"The receiver answered {attempt.StatusCode}.";
                    db.Entry(delivery).Property(x => x.LastStatusCode).IsModified = true; // no answer at all clears an earlier code
                    cursor.Failures++;
                    stop = true;
                    if (now - p.CreatedAt >= RetryFor)
                    {
                        delivery.Status = DeliveryStatus.Failed;
                        cursor.RetryAt = null;
                        failed++;
                        await PauseAsync(db, subscription, $"A delivery ({p.Type}) failed for {RetryFor.TotalHours:0.##} hours: {delivery.LastError}", now, ct);
                    }
                    else
                    {
                        cursor.RetryAt = now + Backoff(FirstRetry, cursor.Failures);
                    }

                    logger.LogWarning("Webhook {Subscription}: {Type} event {Event}, attempt {Attempt}: {Error}", subscription.Name, p.Type, p.EventId, delivery.Attempts, delivery.LastError);
                    break;
                }

                cursor.LockedUntil = time.GetUtcNow() + ClaimFor;
                await using (var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None))
                {
                    // The attempts, the cursor and a failure's outcome through EF; the batch's deliveries in one UPDATE
                    // that takes each one's status code and time from its latest attempt.
                    await db.SaveChangesAsync(CancellationToken.None);
                    if (succeeded.Count > 0)
                    {
                        await db.WebhookDeliveries.Where(d => succeeded.Contains(d.Id)).ExecuteUpdateAsync(s => s
                            .SetProperty(d => d.Status, DeliveryStatus.Delivered)
                            .SetProperty(d => d.Attempts, d => d.Attempts + 1)
                            .SetProperty(d => d.LastError, (string?)null)
                            .SetProperty(d => d.LastStatusCode, d => db.WebhookAttempts.Where(a => a.DeliveryId == d.Id).OrderByDescending(a => a.At).Select(a => a.StatusCode).FirstOrDefault())
                            .SetProperty(d => d.DeliveredAt, d => db.WebhookAttempts.Where(a => a.DeliveryId == d.Id).OrderByDescending(a => a.At).Select(a => (DateTimeOffset?)a.At).FirstOrDefault()),
                            CancellationToken.None);
                    }

                    await transaction.CommitAsync(CancellationToken.None);
                }

                db.ChangeTracker.Clear();
                cursor = await db.WebhookCursors.SingleAsync(c => c.SubscriptionId == subscriptionId, ct);
                if (stop || cursor.LockedBy != token)
                {
                    break;
                }
            }
        }
        finally
        {
            await db.WebhookCursors.Where(c => c.SubscriptionId == subscriptionId && c.LockedBy == token)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LockedBy, (string?)null).SetProperty(c => c.LockedUntil, (DateTimeOffset?)null), CancellationToken.None);
        }

        return (delivered, failed);
    }

    private async Task PauseAsync(PsmDb db, WebhookSubscription subscription, string reason, DateTimeOffset now, CancellationToken ct)
    {
        var clipped = reason.Length > 500 ? reason[..500] : reason;
        // Tracked, so the pause, its audit entry and the admins' notifications are saved together with the batch's outcomes.
        var tracked = await db.WebhookSubscriptions.SingleAsync(s => s.Id == subscription.Id, ct);
        if (tracked.Status != WebhookStatus.Active)
        {
            return;
        }

        tracked.Status = WebhookStatus.Paused;
        tracked.PausedAt = now;
        tracked.PausedReason = clipped;
        var admins = await db.UserRoles.Where(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Admin)).Select(ur => ur.UserId).Distinct().ToListAsync(ct);
        foreach (var admin in admins)
        {
            await Account.Notifications.NotifyAsync(db, admin, $"Webhook \"{subscription.Name}\" was paused: {clipped}", $"/admin/webhooks/{subscription.Id}", now, address.Base, ct);
        }
    }

    private async Task<WebhookAttempt> PostAsync(WebhookSubscription subscription, string secret, Pending p, string body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (subscription.Kind == WebhookKind.Webhook)
        {
            request.Headers.Add("PSM-Event-Id", p.EventId.ToString());
            request.Headers.Add("PSM-Event-Type", p.Type);
            request.Headers.Add("PSM-Delivery-Id", p.Id.ToString());
            request.Headers.Add("PSM-Signature", WebhookSecrets.Sign(secret, time.GetUtcNow().ToUnixTimeSeconds(), body));
        }

        var attempt = new WebhookAttempt { DeliveryId = p.Id };
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            attempt.StatusCode = (int)response.StatusCode;
            attempt.Response = await ExcerptAsync(response, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            attempt.Error = e is TaskCanceledException ? $"No answer within {http.Timeout.TotalSeconds:0} seconds." : Clip(e.Message, 500);
        }

        attempt.LatencyMs = (int)Math.Min(int.MaxValue, clock.ElapsedMilliseconds);
        return attempt;
    }

    private static async Task<string?> ExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new char[500];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
        return read == 0 ? null : new string(buffer, 0, read);
    }

    private static string Clip(string text, int max) => text.Length > max ? text[..max] : text;

    /// <summary>What is POSTed for an event: PSM's envelope, or a Slack or Teams message.</summary>
    public string Body(WebhookKind kind, Guid eventId, string type, DateTimeOffset occurredAt, string data)
    {
        using var parsed = JsonDocument.Parse(data);
        var path = parsed.RootElement.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()
            : parsed.RootElement.TryGetProperty("ticket", out var t) && t.TryGetProperty("path", out var tp) ? tp.GetString() : null;
        var url = path is null ? null : address.Base + path;
        if (kind == WebhookKind.Webhook)
        {
            using var stream = new MemoryStream();
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteString("id", eventId);
                json.WriteString("type", type);
                json.WriteNumber("version", 1);
                json.WriteString("occurredAt", occurredAt.ToUniversalTime());
                json.WritePropertyName("data");
                json.WriteRawValue(data);
                if (url is not null)
                {
                    json.WriteString("url", url);
                }

                json.WriteEndObject();
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }

        var (title, text) = EventText.Describe(type, parsed.RootElement);
        return kind == WebhookKind.Slack
            ? JsonSerializer.Serialize(new { text = url is null ? $"*{title}*\n{text}" : $"*<{url}|{title}>*\n{text}" })
            : JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["@type"] = "MessageCard",
                ["@context"] = "https://schema.org/extensions",
                ["summary"] = title,
                ["themeColor"] = "3949AB",
                ["title"] = title,
                ["text"] = text,
                ["potentialAction"] = url is null ? null : new object[]
                {
                    new Dictionary<string, object> { ["@type"] = "OpenUri", ["name"] = "Open in PSM", ["targets"] = new[] { new { os = "default", uri = url } } },
                },
            });
    }
}

/// <summary>An event as one line a person reads in Slack or Teams.</summary>
public static class EventText
{
    public static (string Title, string Text) Describe(string type, JsonElement data)
    {
        string S(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.ToString() : "";
        var ticket = data.TryGetProperty("ticket", out var t) ? t : data;
        return type switch
        {
            EventTypes.TicketSlaBreached => ($"{S(data, "key")} breached its {S(data, "target")} SLA", $"{S(data, "subject")} ({S(data, "priority")} priority, escalation level {S(data, "escalationLevel")})"),
            EventTypes.TicketEscalated => ($"{S(ticket, "key")} escalated to level {S(data, "level")}", $"{S(ticket, "subject")} ({S(data, "reason")})"),
            EventTypes.TicketCreated or EventTypes.TicketResolved => ($"{S(data, "key")} {(type == EventTypes.TicketCreated ? "opened" : "resolved")}", S(data, "subject")),
            EventTypes.TicketStatusChanged => ($"{S(ticket, "key")} moved from {S(data, "from")} to {S(data, "to")}", S(ticket, "subject")),
            EventTypes.ObjectiveAtRisk => ($"Objective at risk: {S(data, "name")}", $"Progress {S(data, "progressPercent")} % with {S(data, "elapsedPercent")} % of its period spent."),
            EventTypes.FeedbackCreated => ("New feedback", S(data, "text")),
            EventTypes.SurveyResponseReceived => ($"Survey answered: {S(data, "score")}", S(data, "comment")),
            EventTypes.KeyResultCheckedIn => ("Key result checked in", $"Value {S(data, "value")}, confidence {S(data, "confidence")}. {S(data, "note")}"),
            EventTypes.InitiativeStatusChanged or EventTypes.CampaignStatusChanged => ($"{S(data, "name")} moved from {S(data, "from")} to {S(data, "to")}", ""),
            EventTypes.CustomerConsentChanged => ($"Consent {(S(data, "granted") == "True" || S(data, "granted") == "true" ? "granted" : "withdrawn")}: {S(data, "purpose")}", S(data, "source")),
            EventTypes.DecisionRecorded => ($"Decision: {S(data, "title")}", S(data, "outcome")),
            _ => ("PSM test message", S(data, "message")),
        };
    }
}

/// <summary>
/// Runs the deliverer every <c>Webhooks:PollSeconds</c> (2 by default; 0 turns delivery off) and at once when this
/// instance wrote events; watches objectives for turning at risk every <c>Webhooks:ObjectiveWatchSeconds</c> (300);
/// drops delivered history older than <c>Webhooks:KeepDays</c> (30) once an hour.
/// </summary>
public sealed class WebhookJob(IServiceScopeFactory scopes, WebhookSignal signal, IConfiguration config, TimeProvider time, ILogger<WebhookJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(config.GetValue("Webhooks:PollSeconds", 2.0));
        if (period <= TimeSpan.Zero)
        {
            return;
        }

        var watchEvery = TimeSpan.FromSeconds(config.GetValue("Webhooks:ObjectiveWatchSeconds", 300.0));
        var nextWatch = time.GetUtcNow();
        var nextPurge = time.GetUtcNow().AddMinutes(5);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                if (watchEvery > TimeSpan.Zero && time.GetUtcNow() >= nextWatch)
                {
                    nextWatch = time.GetUtcNow() + watchEvery;
                    await scope.ServiceProvider.GetRequiredService<ObjectiveRiskWatch>().RunAsync(stoppingToken);
                }

                await scope.ServiceProvider.GetRequiredService<WebhookDeliverer>().RunAsync(stoppingToken);
                if (time.GetUtcNow() >= nextPurge)
                {
                    nextPurge = time.GetUtcNow().AddHours(1);
                    await scope.ServiceProvider.GetRequiredService<Webhooks>().PurgeAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Webhook delivery failed; it will try again.");
            }

            try
            {
                await signal.WaitAsync(period, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
