using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Account;

/// <summary>An in-app message for one person (an escalation for a team lead, for example), with a link to what it is about.</summary>
public sealed class Notification
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid UserId { get; set; }
    public DateTimeOffset At { get; set; }
    public string Text { get; set; } = "";
    public string Link { get; set; } = "";
    public DateTimeOffset? ReadAt { get; set; }
}

public sealed record NotificationDto(Guid Id, DateTimeOffset At, string Text, string Link, bool Read);

public sealed record NotificationSettingsDto(bool ByEmail, string Email, bool CanSend);

public sealed class NotificationSettingsInput
{
    /// <summary>Whether notifications also go to the person's e-mail address.</summary>
    public bool ByEmail { get; set; }
}

/// <summary>The signed-in person's notifications.</summary>
public sealed class Notifications(IDbContextFactory<PsmDb> dbs, TimeProvider time, CurrentUser user)
{
    /// <summary>
    /// Tells one person something: the bell always; their mailbox too when they asked for it (a mail through
    /// the outbox, in the same transaction), or whenever <paramref name="byEmail"/> says the thing itself asked for mail (an alert rule).
    /// Added to <paramref name="db"/>, saved by the caller.
    /// </summary>
    public static async Task NotifyAsync(PsmDb db, Guid userId, string text, string link, DateTimeOffset now, string publicUrl, CancellationToken ct, bool byEmail = false)
    {
        db.Notifications.Add(new Notification { UserId = userId, At = now, Text = text, Link = link });
        var person = await db.Users.AsNoTracking().Where(u => u.Id == userId && (byEmail || u.EmailNotifications) && u.DeactivatedAt == null)
            .Select(u => new { u.Email, u.DisplayName }).SingleOrDefaultAsync(ct);
        if (person?.Email is { Length: > 0 } email)
        {
            await Mail.OutgoingMail.QueueNotificationAsync(db, email, person.DisplayName, text, link, publicUrl, now, ct);
        }
    }

    public async Task<NotificationSettingsDto> SettingsAsync(CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var person = await db.Users.AsNoTracking().Where(u => u.Id == me).Select(u => new { u.EmailNotifications, u.Email }).SingleAsync(ct);
        return new NotificationSettingsDto(person.EmailNotifications, person.Email ?? "", await db.Mailboxes.AnyAsync(m => m.Enabled, ct));
    }

    public async Task<NotificationSettingsDto> SaveSettingsAsync(NotificationSettingsInput input, CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var person = await db.Users.SingleAsync(u => u.Id == me, ct);
            person.EmailNotifications = input.ByEmail;
            await db.SaveChangesAsync(ct);
        }

        return await SettingsAsync(ct);
    }

    public async Task<IReadOnlyList<NotificationDto>> MineAsync(int limit = 50, CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Notifications.AsNoTracking().Where(n => n.UserId == me).OrderByDescending(n => n.At).ThenByDescending(n => n.Id)
            .Take(Math.Clamp(limit, 1, 200)).Select(n => new NotificationDto(n.Id, n.At, n.Text, n.Link, n.ReadAt != null)).ToListAsync(ct);
    }

    public async Task<int> UnreadAsync(CancellationToken ct = default)
    {
        if (user.Actor.UserId is not { } me)
        {
            return 0;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Notifications.CountAsync(n => n.UserId == me && n.ReadAt == null, ct);
    }

    /// <summary>Marks one (or, with no id, all) of the caller's notifications read.</summary>
    public async Task<int> MarkReadAsync(Guid? id, CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Notifications.Where(n => n.UserId == me && n.ReadAt == null && (id == null || n.Id == id))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
    }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> notification)
    {
        notification.ToTable("Notifications");
        notification.Property(n => n.Text).HasMaxLength(1000);
        notification.Property(n => n.Link).HasMaxLength(300);
        notification.HasOne<PsmUser>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
        notification.HasIndex(n => new { n.UserId, n.At });
    }
}
