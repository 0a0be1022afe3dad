using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Account;

public sealed class PsmUser : IdentityUser<Guid>
{
    public PsmUser()
    {
        Id = NewId.Next();
        SecurityStamp = Guid.NewGuid().ToString();
    }

    public string DisplayName { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>A deactivated user can neither sign in nor use an API key; history keeps their name.</summary>
    public DateTimeOffset? DeactivatedAt { get; set; }

    public bool IsActive => DeactivatedAt is null;

    /// <summary>Set while the user signs in with a one-time password an admin handed over: they choose their own first.</summary>
    public bool MustChangePassword { get; set; }

    /// <summary>Their notifications (escalations, breaches) also go to their e-mail address, not only to the bell.</summary>
    public bool EmailNotifications { get; set; }

    /// <summary>The app in dark colours for them (<see cref="Preferences"/>).</summary>
    public bool DarkMode { get; set; }

    /// <summary>The IANA time zone every time is shown in; null follows their browser's.</summary>
    public string? TimeZone { get; set; }

    /// <summary>How dates are written for them.</summary>
    public DateStyle DateStyle { get; set; }

    /// <summary>The navigation groups they closed, by title, separated by "|".</summary>
    public string? CollapsedNavGroups { get; set; }
}

internal sealed class PsmUserConfiguration : IEntityTypeConfiguration<PsmUser>
{
    public void Configure(EntityTypeBuilder<PsmUser> user)
    {
        user.Property(u => u.DisplayName).HasMaxLength(200);
        user.Property(u => u.TimeZone).HasMaxLength(64);
        user.Property(u => u.DateStyle).HasConversion<string>().HasMaxLength(20);
        user.Property(u => u.CollapsedNavGroups).HasMaxLength(400);
        user.Ignore(u => u.IsActive);
    }
}
