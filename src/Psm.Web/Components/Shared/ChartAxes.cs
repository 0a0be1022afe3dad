using System.Globalization;
using MudBlazor;
using MudBlazor.Charts;

namespace Psm.Web.Components.Shared;

/// <summary>
/// Vertical axes people can read: ticks on round steps (1, 2 or 5 times a power of ten, at most six of them from zero)
/// and labels in thousands or millions once figures grow ("12k", "1.5M"). MudBlazor's own default spaces ticks 20 apart
/// and thins them by doubling, which gives 5120 and 10240.
/// </summary>
public static class ChartAxes
{
    public static LineChartOptions Line(IEnumerable<ChartSeries<double>> series, bool legend = true) =>
        Fit(new LineChartOptions { ShowLegend = legend }, series);

    public static BarChartOptions Bar(IEnumerable<ChartSeries<double>> series, bool legend = true) =>
        Fit(new BarChartOptions { ShowLegend = legend }, series);

    /// <summary>The tick step for values up to <paramref name="max"/>: the smallest round step that needs at most five ticks above zero.</summary>
    public static int Step(double max)
    {
        if (!double.IsFinite(max) || max <= 5)
        {
            return 1;
        }

        var raw = max / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 5, 10 }.Select(n => n * magnitude).First(s => s >= raw - 1e-9);
        return (int)Math.Max(1, Math.Round(step));
    }

    /// <summary>An axis label: grouped digits below ten thousand, then thousands ("12k") and millions ("1.5M").</summary>
    public static string Label(double value)
    {
        var size = Math.Abs(value);
        return size >= 1_000_000 ? (value / 1_000_000).ToString("0.#", CultureInfo.InvariantCulture) + "M"
            : size >= 10_000 ? (value / 1_000).ToString("0.#", CultureInfo.InvariantCulture) + "k"
            : value.ToString("#,0.##", CultureInfo.InvariantCulture);
    }

    private static T Fit<T>(T options, IEnumerable<ChartSeries<double>> series) where T : DefaultAxisChartOptions
    {
        var max = 0d;
        foreach (var s in series)
        {
            for (var i = 0; i < s.Data.Count; i++)
            {
                if (s.Data.GetValue(i) is var v && double.IsFinite(v) && v > max)
                {
                    max = v;
                }
            }
        }

        options.YAxisTicks = Step(max);
        options.MaxNumYAxisTicks = 7;
        options.YAxisToStringFunc = Label;
        return options;
    }
}
