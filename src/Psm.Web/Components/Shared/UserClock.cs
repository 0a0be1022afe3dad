using System.Globalization;
using Microsoft.JSInterop;
using Psm.Web.Features.Account;

namespace Psm.Web.Components.Shared;

/// <summary>
/// How the signed-in person reads times, once per circuit: the time zone they chose in their preferences, else their
/// browser's (UTC until it answers), and their date style.
/// </summary>
public sealed class UserClock(IJSRuntime js, Preferences preferences)
{
    private Task<TimeZoneInfo>? lookup;

    public TimeZoneInfo? Known { get; private set; }

    public DateStyle Style { get; private set; }

    public Task<TimeZoneInfo> GetAsync() => lookup ??= LookUpAsync();

    /// <summary>A time in the person's zone and style (the zone known so far, UTC before the lookup).</summary>
    public string Format(DateTimeOffset value, bool dateOnly = false) =>
        PreferencesDto.Format(TimeZoneInfo.ConvertTime(value, Known ?? TimeZoneInfo.Utc), Style, dateOnly);

    /// <summary>A day in the person's style (days carry no zone).</summary>
    public string Day(DateOnly day) => day.ToString(PreferencesDto.DatePattern(Style), CultureInfo.InvariantCulture);

    private async Task<TimeZoneInfo> LookUpAsync()
    {
        var mine = await preferences.MineAsync();
        Style = mine.DateStyle;
        if (mine.TimeZone is { } chosen && TimeZoneInfo.TryFindSystemTimeZoneById(chosen, out var preferred))
        {
            return Known = preferred;
        }

        try
        {
            var id = await js.InvokeAsync<string>("psm.timeZone");
            Known = TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
        }
        catch (Exception e) when (e is JSException or InvalidOperationException or TaskCanceledException)
        {
            Known = TimeZoneInfo.Utc;
        }

        return Known;
    }

    /// <summary>Forgets what it looked up, after the person changed their preferences.</summary>
    public void Reset() => (lookup, Known) = (null, null);
}
