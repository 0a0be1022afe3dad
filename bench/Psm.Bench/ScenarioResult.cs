using System.Globalization;
using System.Text;

namespace Psm.Bench;

public sealed record ScenarioResult(
    string Scenario, string Provider, int Rows, string Unit, Measurement Psm, Measurement Raw,
    double PsmRate, double RawRate, string Limit)
{
    /// <summary>PSM's throughput as a share of the limit's: 1.0 is as fast as the raw path.</summary>
    public double Ratio => PsmRate / RawRate;

    public string Key => $"{Scenario} | {Provider}";

    public string TableRow(string target) => string.Create(CultureInfo.InvariantCulture,
        $"| {Scenario} | {Provider} | {Rows:N0} | {Rate(PsmRate)} {Unit} | {Rate(RawRate)} {Unit} ({Limit}) | **{Ratio:0.00}x** | {target} | " +
        $"{Psm.AllocatedBytes / 1048576.0:N0} MB / {Psm.PeakWorkingSetBytes / 1048576.0:N0} MB | " +
        $"{Raw.AllocatedBytes / 1048576.0:N0} MB / {Raw.PeakWorkingSetBytes / 1048576.0:N0} MB |");

    /// <summary>Whole numbers for fast paths; two decimals for slow ones, so a third of a page per second does not read as 0.</summary>
    private static string Rate(double rate) => rate.ToString(rate < 10 ? "N2" : "N0", CultureInfo.InvariantCulture);
}

/// <summary>Keeps docs/benchmarks.md's results table: one row per scenario and provider, replaced in place.</summary>
public static class BenchmarkReport
{
    private const string Start = "<!-- results:start -->";
    private const string End = "<!-- results:end -->";
    private const string Header =
        "| scenario | provider | rows | PSM | limit, same run | ratio | target | PSM allocated / peak RSS | limit allocated / peak RSS |\n" +
        "|---|---|---|---|---|---|---|---|---|";

    public static void Write(string path, IEnumerable<(ScenarioResult Result, string Target)> results, string machine)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : $"# Benchmarks\n\n{Start}\n{End}\n";
        var startAt = text.IndexOf(Start, StringComparison.Ordinal);
        var endAt = text.IndexOf(End, StringComparison.Ordinal);
        if (startAt < 0 || endAt < startAt)
        {
            text += $"\n{Start}\n{End}\n";
            startAt = text.IndexOf(Start, StringComparison.Ordinal);
            endAt = text.IndexOf(End, StringComparison.Ordinal);
        }

        var rows = text[(startAt + Start.Length)..endAt].Split('\n')
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| scenario", StringComparison.Ordinal))
            .ToDictionary(l => string.Join(" | ", l.Split('|', StringSplitOptions.TrimEntries)[1..3]), l => l);
        foreach (var (result, target) in results)
        {
            rows[result.Key] = result.TableRow(target);
        }

        var table = new StringBuilder().AppendLine(Start).AppendLine(Header);
        foreach (var row in rows.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            table.AppendLine(row.Value);
        }

        table.Append(CultureInfo.InvariantCulture, $"\nLast written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {machine}.\n").Append(End);
        File.WriteAllText(path, text[..startAt] + table + text[(endAt + End.Length)..]);
    }
}
