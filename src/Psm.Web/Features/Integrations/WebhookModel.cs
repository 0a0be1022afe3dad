using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Integrations;

/// <summary>
/// Something that happened in PSM, written in the same transaction as the change that caused it (by
/// <see cref="EventInterceptor"/> or, for set-based changes, by the SQL that makes them). The deliverer
/// fans each event out to the subscriptions that want its type, then marks it.
/// </summary>
[NotAudited]
public sealed class WebhookEvent
{
    public Guid Id { get; set; } = NewId.Next();
    public string Type { get; set; } = "";
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>The event's data as JSON (the envelope's <c>data</c>).</summary>
    public string Data { get; set; } = "{}";

    /// <summary>Deliveries were made for it (to the subscriptions that wanted it then).</summary>
    public bool FannedOut { get; set; }
}

public enum WebhookKind { Webhook, Slack, Teams }

public enum WebhookStatus { Active, Paused }

/// <summary>An endpoint outside PSM that receives events: a signed JSON POST, or a Slack or Teams incoming webhook.</summary>
public sealed class WebhookSubscription : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public WebhookKind Kind { get; set; }
    public string Url { get; set; } = "";

    /// <summary>The signing secret, protected with Data Protection (never shown again after it is made).</summary>
    public string SecretCipher { get; set; } = "";

    /// <summary>Event types wanted, comma-separated.</summary>
    public string Events { get; set; } = "";

    public WebhookStatus Status { get; set; }
    public DateTimeOffset? PausedAt { get; set; }
    public string? PausedReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>The state of delivering one subscription, apart from the subscription itself (changed by the deliverer, not audited).</summary>
[NotAudited]
public sealed class WebhookCursor
{
    public Guid SubscriptionId { get; set; }

    /// <summary>The head of the queue failed: nothing is tried before this time (the queue keeps its order behind it).</summary>
    public DateTimeOffset? RetryAt { get; set; }

    /// <summary>Failed attempts in a row.</summary>
    public int Failures { get; set; }

    /// <summary>A deliverer that claimed the subscription and until when; a claim that outlives a crashed deliverer expires.</summary>
    public string? LockedBy { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }
}

public enum DeliveryStatus { Queued, Delivered, Failed }

/// <summary>One event for one subscription. Delivered in the order of <see cref="OrderKey"/> per subscription.</summary>
[NotAudited]
public sealed class WebhookDelivery
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid SubscriptionId { get; set; }
    public Guid EventId { get; set; }
    public string EventType { get; set; } = "";

    /// <summary>The event's time, or the time of the replay: the queue's order.</summary>
    public DateTimeOffset OrderKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>The delivery this one sends again, when an admin replayed it.</summary>
    public Guid? ReplayOf { get; set; }
}

/// <summary>One POST of a delivery: the answer's status, how long it took and the start of its body.</summary>
[NotAudited]
public sealed class WebhookAttempt
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid DeliveryId { get; set; }
    public DateTimeOffset At { get; set; }
    public int? StatusCode { get; set; }
    public int LatencyMs { get; set; }
    public string? Response { get; set; }
    public string? Error { get; set; }
}

/// <summary>Whether an objective was at risk when last looked at, so turning at risk is an event once.</summary>
[NotAudited]
public sealed class ObjectiveRiskState
{
    public Guid ObjectiveId { get; set; }
    public bool AtRisk { get; set; }
    public DateTimeOffset Since { get; set; }
}

public sealed class WebhookInput
{
    [Required, StringLength(120, MinimumLength = 1)]
    public string Name { get; set; } = "";

    public WebhookKind Kind { get; set; }

    /// <summary>Where PSM POSTs: https (or http) to a public address unless the server allows private ones.</summary>
    [Required, StringLength(2000)]
    public string Url { get; set; } = "";

    /// <summary>Event types wanted (see GET /api/v1/webhooks/event-types); at least one.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>A signing secret of your own (16 to 200 characters); left empty on create, PSM makes one. Ignored on update.</summary>
    [StringLength(200)]
    public string? Secret { get; set; }

    /// <summary>The version read, when changing a subscription.</summary>
    public Guid? Version { get; set; }
}

public sealed record WebhookDto(
    Guid Id, string Name, WebhookKind Kind, string Url, IReadOnlyList<string> Events, WebhookStatus Status, DateTimeOffset? PausedAt, string? PausedReason,
    DateTimeOffset CreatedAt, string CreatedBy, int Queued, int FailedInARow, DateTimeOffset? RetryAt, Guid Version);

/// <summary>A subscription as created (or with a new secret): the only time the secret is shown.</summary>
public sealed record WebhookCreated(WebhookDto Webhook, string Secret);

public sealed record WebhookDeliveryDto(
    Guid Id, Guid SubscriptionId, Guid EventId, string EventType, DateTimeOffset OccurredAt, DeliveryStatus Status, int Attempts, int? LastStatusCode,
    string? LastError, DateTimeOffset? DeliveredAt, Guid? ReplayOf);

public sealed record WebhookAttemptDto(DateTimeOffset At, int? StatusCode, int LatencyMs, string? Response, string? Error);

public sealed record WebhookDeliveryDetail(WebhookDeliveryDto Delivery, string Body, IReadOnlyList<WebhookAttemptDto> Attempts);

public sealed record EventTypeDto(string Type, string Description, bool ForChat);

internal sealed class WebhookConfiguration :
    IEntityTypeConfiguration<WebhookEvent>, IEntityTypeConfiguration<WebhookSubscription>, IEntityTypeConfiguration<WebhookCursor>,
    IEntityTypeConfiguration<WebhookDelivery>, IEntityTypeConfiguration<WebhookAttempt>, IEntityTypeConfiguration<ObjectiveRiskState>
{
    public void Configure(EntityTypeBuilder<WebhookEvent> e)
    {
        e.Property(x => x.Type).HasMaxLength(64);
        e.HasIndex(x => new { x.FannedOut, x.OccurredAt });
    }

    public void Configure(EntityTypeBuilder<WebhookSubscription> s)
    {
        s.Property(x => x.Name).HasMaxLength(120);
        s.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        s.Property(x => x.Url).HasMaxLength(2000);
        s.Property(x => x.SecretCipher).HasMaxLength(1000);
        s.Property(x => x.Events).HasMaxLength(2000);
        s.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        s.Property(x => x.PausedReason).HasMaxLength(500);
        s.Property(x => x.CreatedBy).HasMaxLength(256);
        s.Property(x => x.Version).IsConcurrencyToken();
    }

    public void Configure(EntityTypeBuilder<WebhookCursor> c)
    {
        c.HasKey(x => x.SubscriptionId);
        c.Property(x => x.LockedBy).HasMaxLength(64);
        c.HasOne<WebhookSubscription>().WithOne().HasForeignKey<WebhookCursor>(x => x.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<WebhookDelivery> d)
    {
        d.Property(x => x.EventType).HasMaxLength(64);
        d.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        d.Property(x => x.LastError).HasMaxLength(500);
        d.HasIndex(x => new { x.SubscriptionId, x.Status, x.OrderKey });
        // One delivery per event and subscription (two fan-outs cannot both make one); replays are further rows.
        d.HasIndex(x => new { x.SubscriptionId, x.EventId }).IsUnique().HasFilter("\"ReplayOf\" IS NULL");
        d.HasOne<WebhookSubscription>().WithMany().HasForeignKey(x => x.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<WebhookAttempt> a)
    {
        a.Property(x => x.Response).HasMaxLength(500);
        a.Property(x => x.Error).HasMaxLength(500);
        a.HasIndex(x => x.DeliveryId);
        a.HasOne<WebhookDelivery>().WithMany().HasForeignKey(x => x.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ObjectiveRiskState> o) => o.HasKey(x => x.ObjectiveId);
}
