using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Outbox;

public enum OutboxStatus { Queued, Sent, Failed }

/// <summary>
/// One message leaving PSM (a mail now; webhooks later), written in the same transaction as the change
/// that causes it and delivered afterwards by <see cref="OutboxSender"/>. <see cref="Channel"/> names who
/// delivers it and <see cref="Reference"/> the record it delivers (for mail, the stored outgoing message).
/// </summary>
[NotAudited]
public sealed class OutboxMessage
{
    public Guid Id { get; set; } = NewId.Next();
    public string Channel { get; set; } = "";
    public Guid Reference { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public OutboxStatus Status { get; set; }

    /// <summary>Deliveries tried so far.</summary>
    public int Attempts { get; set; }

    /// <summary>Not tried before this time (backoff after a failure).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>A sender that claimed it and until when; a claim that outlives a crashed sender expires.</summary>
    public string? LockedBy { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }

    /// <summary>The last failure as the receiving server (or the network) put it.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset? SentAt { get; set; }
}

/// <summary>Delivers one channel's outbox messages; a session keeps what can be reused across a batch (an SMTP connection).</summary>
public interface IOutboxChannel
{
    string Name { get; }

    IOutboxSession Open();
}

public interface IOutboxSession : IAsyncDisposable
{
    /// <summary>Delivers or throws: <see cref="PermanentDeliveryException"/> when trying again cannot help, anything else to retry later.</summary>
    Task DeliverAsync(OutboxMessage message, CancellationToken ct);
}

/// <summary>The receiver refused for good (a 5xx answer, a removed mailbox): the message fails at once, with this reason.</summary>
public sealed class PermanentDeliveryException(string message, Exception? inner = null) : Exception(message, inner);

public sealed record OutboxRunResult(int Sent, int Retrying, int Failed);

public sealed record OutboxMessageDto(
    Guid Id, string Channel, Guid Reference, DateTimeOffset CreatedAt, OutboxStatus Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastError,
    DateTimeOffset? SentAt);

internal sealed class OutboxConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> message)
    {
        message.ToTable("Outbox");
        message.Property(m => m.Channel).HasMaxLength(32);
        message.Property(m => m.Status).HasConversion<string>().HasMaxLength(16);
        message.Property(m => m.LockedBy).HasMaxLength(64);
        message.Property(m => m.LastError).HasMaxLength(2000);
        message.HasIndex(m => new { m.Status, m.NextAttemptAt });
        message.HasIndex(m => m.Reference);
    }
}
