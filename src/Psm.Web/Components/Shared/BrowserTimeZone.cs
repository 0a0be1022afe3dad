using Microsoft.JSInterop;

namespace Psm.Web.Components.Shared;

/// <summary>The signed-in user's time zone, asked of their browser once per circuit; UTC until it answers.</summary>
public sealed class BrowserTimeZone(IJSRuntime js)
{
    private Task<TimeZoneInfo>? lookup;

    public TimeZoneInfo? Known { get; private set; }

    public Task<TimeZoneInfo> GetAsync() => lookup ??= LookUpAsync();

    private async Task<TimeZoneInfo> LookUpAsync()
    {
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
}
