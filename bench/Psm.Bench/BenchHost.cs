using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Psm.Web.Infrastructure;

namespace Psm.Bench;

/// <summary>The whole PSM app on a loopback port over a bench database, as an operator runs it (Production, no demo data).</summary>
public static class BenchHost
{
    public const string AdminEmail = "admin@bench.test";

    /// <summary>Starts PSM; <paramref name="extra"/> adds endpoints beside it (a scenario's limit), in the same process.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(
        BenchDatabase database, Dictionary<string, string?> settings, Action<WebApplication>? extra = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = "Psm.Web", EnvironmentName = "Production", ContentRootPath = WebRoot() });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["Database:Provider"] = database.Settings.Provider.ToString(), ["ConnectionStrings:Psm"] = database.Settings.ConnectionString, ["Demo:Seed"] = "false",
            ["Sla:MonitorSeconds"] = "0", ["PSM_ADMIN_EMAIL"] = AdminEmail, ["PSM_ADMIN_PASSWORD"] = "Bench-pass-2026",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddPsm();
        var app = builder.Build();
        app.UsePsm();
        extra?.Invoke(app);
        await app.InitializePsmAsync();
        await app.StartAsync();
        return (app, new Uri(app.Urls.First().Replace("[::]", "127.0.0.1")));
    }

    private static string WebRoot() => Path.Combine(RepositoryRoot(), "src", "Psm.Web");

    /// <summary>The checkout's root folder (where Psm.slnx is).</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Psm.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Psm.slnx not found above " + AppContext.BaseDirectory);
    }
}
