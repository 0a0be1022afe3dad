namespace Psm.Web.Components.Shared;

/// <summary>MudBlazor's date picker speaks DateTime; PSM's days are DateOnly.</summary>
public static class PickerDates
{
    public static DateTime? ToDate(DateOnly? day) => day?.ToDateTime(TimeOnly.MinValue);

    public static DateOnly? ToDay(DateTime? date) => date is { } d ? DateOnly.FromDateTime(d) : null;
}
