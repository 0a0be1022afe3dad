using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Imports;

namespace Psm.Bench;

/// <summary>
/// responses-import-http: a CSV of survey answers uploaded to <c>POST /api/v1/imports/surveys/{id}/responses</c> on PSM
/// running as its own process (Production, the release build), timed from the first byte sent to the job's end: the upload
/// staged to disk, the header checked, the job queued, the rows parsed, checked and bulk-written in one transaction. The
/// server's whole-process peak RSS is its VmHWM. The limit: the same file read with a bare split and written by prepared
/// INSERT (SQLite) or binary COPY (PostgreSQL) inside the bench's own process.
/// </summary>
public static class HttpImportScenario
{
    public const string Name = "responses-import-http";

    public static async Task<ScenarioResult> RunAsync(string provider, int rows, int repeats)
    {
        var file = Path.Combine(Path.GetTempPath(), $"psm-bench-responses-{rows}.csv");
        if (!File.Exists(file))
        {
            await ResponsesImportScenario.WriteFileAsync(file, rows);
        }

        await using var database = await BenchDatabase.CreateAsync(provider);
        string token;
        var (app, _) = await BenchHost.StartAsync(database, []);
        await using (app)
        {
            token = await HttpCreateScenario.KeyAndThemesAsync(database);
        }

        using var server = Start(database);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(await ListeningAsync(server)), Timeout = TimeSpan.FromHours(1) };
            http.DefaultRequestHeaders.Add(Psm.Web.Features.Account.ApiKey.HeaderName, token);
            var psm = new List<Measurement>();
            var raw = new List<Measurement>();
            for (var i = 0; i < repeats; i++)
            {
                raw.Add(await RawAsync(provider, file, rows));
                psm.Add(await UploadAsync(http, server, file, rows));
            }

            var p = Measurement.Median(psm);
            var r = Measurement.Median(raw);
            return new ScenarioResult(Name, provider, rows, "rows/s", p, r, rows / p.Elapsed.TotalSeconds, rows / r.Elapsed.TotalSeconds,
                (provider == "postgres" ? "bare CSV split + binary COPY" : "bare CSV split + prepared INSERT, one transaction")
                + string.Create(CultureInfo.InvariantCulture, $"; {new FileInfo(file).Length / 1048576.0:N0} MB file; PSM's peak RSS is the whole server process's, from its start; its allocations are not measured"));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<Measurement> UploadAsync(HttpClient http, Process server, string file, int rows)
    {
        var survey = await (await http.PostAsJsonAsync("/api/v1/surveys", new { name = $"Bench NPS {Guid.NewGuid():N}", kind = "Nps", question = "Recommend?" }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<SurveyDto>(JsonOptions);
        var clock = Stopwatch.StartNew();
        await using var body = File.OpenRead(file);
        using var content = new StreamContent(body, 64 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var started = await http.PostAsync($"/api/v1/imports/surveys/{survey!.Id}/responses", content);
        var job = await started.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ImportJobDto>(JsonOptions);
        while (!job!.IsFinished)
        {
            await Task.Delay(50);
            job = await http.GetFromJsonAsync<ImportJobDto>($"/api/v1/imports/{job.Id}", JsonOptions);
        }

        clock.Stop();
        if (job is not { Status: ImportJobStatus.Succeeded, Report.Imported: var imported } || imported != rows)
        {
            throw new InvalidOperationException($"The import ended {job.Status} with {job.Report?.Imported} of {rows} rows: {job.Error}");
        }

        return new Measurement(clock.Elapsed, 0, PeakRss(server));
    }

    private static async Task<Measurement> RawAsync(string provider, string file, int rows)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var survey = new Survey { Name = "Bench NPS", Kind = SurveyKind.Nps, Question = "Recommend?", CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = database.Factory().CreateDbContext())
        {
            db.Surveys.Add(survey);
            await db.SaveChangesAsync();
        }

        var written = 0;
        var measurement = await Measurement.OfAsync(async () =>
        {
            using var reader = Psm.Web.Infrastructure.Http.CsvImport.Reader(File.OpenRead(file));
            written = await ResponsesImportScenario.RawAsync(database, survey.Id, reader);
        });
        return written == rows ? measurement : throw new InvalidOperationException($"The limit wrote {written} of {rows} rows.");
    }

    internal static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>The release build of PSM as its own process over the bench database, as an operator starts it.</summary>
    internal static Process Start(BenchDatabase database)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Psm.slnx")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root?.FullName ?? ".", "src", "Psm.Web", "bin", "Release", "net10.0", "Psm.Web.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Database__Provider"] = database.Settings.Provider.ToString();
        start.Environment["ConnectionStrings__Psm"] = database.Settings.ConnectionString;
        start.Environment["PSM_ADMIN_EMAIL"] = BenchHost.AdminEmail;
        start.Environment["PSM_ADMIN_PASSWORD"] = "Bench-pass-2026";
        start.Environment["Sla__MonitorSeconds"] = "0";
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}.");
    }

    internal static async Task<string> ListeningAsync(Process server)
    {
        _ = Task.Run(async () =>
        {
            while (await server.StandardError.ReadLineAsync() is { } line)
            {
                Console.Error.WriteLine($"  psm: {line}");
            }
        });
        while (await server.StandardOutput.ReadLineAsync() is { } line)
        {
            var at = line.IndexOf("Now listening on: ", StringComparison.Ordinal);
            if (at >= 0)
            {
                _ = server.StandardOutput.ReadToEndAsync(); // keep draining, so the server never blocks on its log
                return line[(at + "Now listening on: ".Length)..].Trim();
            }
        }

        throw new InvalidOperationException("PSM exited before listening.");
    }

    /// <summary>The process's peak resident set since it started (Linux VmHWM), in bytes.</summary>
    internal static long PeakRss(Process process)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
