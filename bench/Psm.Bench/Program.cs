using System.Globalization;
using Psm.Bench;

// dotnet run -c Release --project bench/Psm.Bench -- <scenario|all> --provider sqlite|postgres|both --scale N
//   [--repeats R] [--write docs/benchmarks.md]
// --scale N means N x 250 generated customers (the demo generator's unit); 400 is 100 000 rows.
// PostgreSQL needs PSM_PG_CONNECTION; bench/run.sh starts a throwaway server and sets it.
var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: <customers-insert|all> --provider sqlite|postgres|both --scale N [--repeats R] [--write FILE]");
    return 2;
}

var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:N0} GiB, " +
              $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
Console.WriteLine($"PSM bench on {machine}");
var results = new List<(ScenarioResult, string)>();
foreach (var provider in options.Providers)
{
    var rows = options.Scale * Psm.Web.Data.Demo.DemoData.CustomersPerScale;
    Console.WriteLine($"\n{CustomerInsertScenario.Name} on {provider}: {rows:N0} rows, median of {options.Repeats}");
    var result = await CustomerInsertScenario.RunAsync(provider, rows, options.Repeats);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  PSM   {result.PsmRate,12:N0} rows/s  ({result.Psm.Elapsed.TotalMilliseconds:N0} ms, allocated {result.Psm.AllocatedBytes / 1048576.0:N0} MB, peak RSS +{result.Psm.PeakWorkingSetBytes / 1048576.0:N0} MB)\n" +
        $"  limit {result.RawRate,12:N0} rows/s  ({result.Raw.Elapsed.TotalMilliseconds:N0} ms, allocated {result.Raw.AllocatedBytes / 1048576.0:N0} MB, peak RSS +{result.Raw.PeakWorkingSetBytes / 1048576.0:N0} MB; {result.Limit})\n" +
        $"  ratio {result.Ratio:0.00}x (target >= 0.50x)"));
    results.Add((result, ">= 0.50x"));
}

if (options.WritePath is { } path)
{
    BenchmarkReport.Write(path, results, machine);
    Console.WriteLine($"\nWrote {path}");
}

return 0;

internal sealed record Options(IReadOnlyList<string> Providers, int Scale, int Repeats, string? WritePath)
{
    public static Options? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not (CustomerInsertScenario.Name or "all"))
        {
            return null;
        }

        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var provider = Value("--provider") ?? "sqlite";
        if (provider is not ("sqlite" or "postgres" or "both"))
        {
            return null;
        }

        var scale = int.TryParse(Value("--scale"), out var s) && s > 0 ? s : 400;
        var repeats = int.TryParse(Value("--repeats"), out var r) && r > 0 ? r : 3;
        return new Options(provider == "both" ? ["sqlite", "postgres"] : [provider], scale, repeats, Value("--write"));
    }
}
