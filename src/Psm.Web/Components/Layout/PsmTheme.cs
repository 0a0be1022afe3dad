using MudBlazor;

namespace Psm.Web.Components.Layout;

public static class PsmTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5fbf",
            Secondary = "#0d7377",
            AppbarBackground = "#17325c",
            Background = "#f5f7fb",
            DrawerBackground = "#ffffff",

            // MudBlazor's own status colours carry white text at 2.2:1 (green, orange) to 3.7:1 (red); these keep
            // WCAG AA's 4.5:1 for text on them and for them as text on the page's background.
            Success = "#2e7d32",
            Warning = "#a15c00",
            Info = "#1565c0",
            Error = "#c62828",
            TextSecondary = "rgba(0,0,0,0.66)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#6ea8ff",
            PrimaryContrastText = "rgba(0,0,0,0.87)",
            Secondary = "#4fd1c5",
            SecondaryContrastText = "rgba(0,0,0,0.87)",
            AppbarBackground = "#101b2e",

            // On a dark page the status colours are light, with dark text on them.
            Success = "#66bb6a",
            SuccessContrastText = "rgba(0,0,0,0.87)",
            Warning = "#ffb74d",
            WarningContrastText = "rgba(0,0,0,0.87)",
            Info = "#64b5f6",
            InfoContrastText = "rgba(0,0,0,0.87)",
            Error = "#ff8a80",
            ErrorContrastText = "rgba(0,0,0,0.87)",
            TextSecondary = "rgba(255,255,255,0.72)",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
