using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Account;

/// <summary>How a person reads dates: the order of day, month and year (times follow: 24-hour, or 12-hour with month first).</summary>
public enum DateStyle { DayMonthName, DayMonthYear, MonthDayYear, Iso }

/// <summary>
/// A person's preferences. <c>TimeZone</c> is an IANA zone, or null to follow the browser's. <c>CollapsedNavGroups</c> names
/// the navigation groups they closed; null until they open or close one (then only "My account" starts closed).
/// </summary>
public sealed record PreferencesDto(bool DarkMode, string? TimeZone = null, DateStyle DateStyle = DateStyle.DayMonthName, IReadOnlyList<string>? CollapsedNavGroups = null)
{
    /// <summary>The date pattern for <see cref="DateStyle"/> ("2 Dec 2026", "02/12/2026", "12/02/2026", "2026-12-02").</summary>
    public static string DatePattern(DateStyle style) => style switch
    {
        DateStyle.DayMonthYear => "dd/MM/yyyy",
        DateStyle.MonthDayYear => "MM/dd/yyyy",
        DateStyle.Iso => "yyyy-MM-dd",
        _ => "d MMM yyyy",
    };

    /// <summary>The date and time pattern: 12-hour clock with the month first, as in the United States; 24-hour otherwise.</summary>
    public static string DateTimePattern(DateStyle style) => DatePattern(style) + (style == DateStyle.MonthDayYear ? ", h:mm tt" : ", HH:mm");

    public static string Format(DateTimeOffset local, DateStyle style, bool dateOnly) =>
        local.ToString(dateOnly ? DatePattern(style) : DateTimePattern(style), CultureInfo.InvariantCulture);
}

public sealed class PreferencesInput
{
    /// <summary>The app in dark colours, on every device the person signs in on; absent leaves it as it is.</summary>
    public bool? DarkMode { get; set; }

    /// <summary>An IANA time zone such as Europe/Berlin for every time the app shows; "" follows the browser's; absent leaves it.</summary>
    public string? TimeZone { get; set; }

    /// <summary>How dates are written; absent leaves it as it is.</summary>
    public DateStyle? DateStyle { get; set; }

    /// <summary>The navigation groups shown closed (their titles); absent leaves them as they are.</summary>
    public List<string>? CollapsedNavGroups { get; set; }
}

/// <summary>How the app looks to a person, kept with their account so that it follows them to every browser and survives signing out.</summary>
public sealed class Preferences(IDbContextFactory<PsmDb> dbs, CurrentUser user)
{
    /// <summary>The navigation's groups a person may close (Components/Layout/NavMenu.razor).</summary>
    public static readonly IReadOnlyList<string> NavGroups =
        ["Roadmap", "Voice of the customer", "Service desk", "Promotion", "Customers", "Administration", "My account", "Developers"];

    private static readonly PreferencesDto Defaults = new(DarkMode: false);

    /// <summary>The signed-in person's preferences; the defaults when nobody is signed in.</summary>
    public async Task<PreferencesDto> MineAsync(CancellationToken ct = default)
    {
        if (user.Actor.UserId is not { } me)
        {
            return Defaults;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.Users.AsNoTracking().Where(u => u.Id == me)
            .Select(u => new { u.DarkMode, u.TimeZone, u.DateStyle, u.CollapsedNavGroups }).SingleOrDefaultAsync(ct);
        return row is null
            ? Defaults
            : new PreferencesDto(row.DarkMode, row.TimeZone, row.DateStyle, row.CollapsedNavGroups?.Split('|', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Saves what the input names; a preference is no edit of the account, so it writes no audit entry.</summary>
    public async Task<PreferencesDto> SaveAsync(PreferencesInput input, CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        var problems = new List<(string Field, string Message)>();
        var zone = input.TimeZone?.Trim();
        if (zone is { Length: > 0 } && (zone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _)))
        {
            problems.Add(("timeZone", $"'{(zone.Length > 64 ? zone[..64] + "…" : zone)}' is not a time zone; use a name such as Europe/Berlin, or \"\" to follow the browser."));
        }

        if (input.DateStyle is { } style && !Enum.IsDefined(style))
        {
            problems.Add(("dateStyle", $"Choose one of {string.Join(", ", Enum.GetNames<DateStyle>())}."));
        }

        if (input.CollapsedNavGroups?.FirstOrDefault(g => !NavGroups.Contains(g)) is { } unknown)
        {
            problems.Add(("collapsedNavGroups", $"'{(unknown.Length > 60 ? unknown[..60] + "…" : unknown)}' is not a navigation group; the groups are {string.Join(", ", NavGroups)}."));
        }

        RequestValidationException.ThrowIfAny(problems);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.Users.SingleAsync(u => u.Id == me, ct);
        row.DarkMode = input.DarkMode ?? row.DarkMode;
        row.TimeZone = zone is null ? row.TimeZone : zone.Length == 0 ? null : zone;
        row.DateStyle = input.DateStyle ?? row.DateStyle;
        row.CollapsedNavGroups = input.CollapsedNavGroups is { } groups
            ? string.Join('|', NavGroups.Where(groups.Contains))
            : row.CollapsedNavGroups;
        db.SuppressRowAudit = true;
        await db.SaveChangesAsync(ct);
        return await MineAsync(ct);
    }
}
