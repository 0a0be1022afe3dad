using System.Diagnostics;
using System.Net;
using Psm.Web.Data;

namespace Psm.IntegrationTests;

/// <summary>Runs the built app as its own process, the way an operator starts it.</summary>
public sealed class StartupTests
{
    private static ProcessStartInfo PsmProcess(TestDatabase database, params (string Name, string Value)[] environment) =>
        PsmProcess(database.Provider, database.ConnectionString, environment);

    internal static ProcessStartInfo PsmProcess(string provider, string connectionString, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("dotnet", $"\"{typeof(Program).Assembly.Location}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(typeof(Program).Assembly.Location)!,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Database__Provider"] = provider;
        start.Environment["ConnectionStrings__Psm"] = connectionString;
        start.Environment.Remove(DatabaseInitializer.AdminEmailVariable);
        start.Environment.Remove(DatabaseInitializer.AdminPasswordVariable);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Starts PSM on the database and waits for it to stop, as it must: exit code 1 and "PSM cannot start"; returns what it wrote to stderr.</summary>
    private static async Task<string> RefusalAsync(TestDatabase database, params (string Name, string Value)[] environment)
    {
        using var process = Process.Start(PsmProcess(database, environment))!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, process.ExitCode);
        var message = await stderr;
        Assert.Contains("PSM cannot start", message);
        return message;
    }

    [Fact]
    public async Task RefusesToStartOutsideDevelopmentWithoutAFirstAdmin()
    {
        await using var database = new TestDatabase();
        var message = await RefusalAsync(database);
        Assert.Contains(DatabaseInitializer.AdminEmailVariable, message);
        Assert.Contains(DatabaseInitializer.AdminPasswordVariable, message);
    }

    [Fact]
    public async Task CreatesTheFirstAdminFromTheEnvironmentAndNoDemoUsers()
    {
        await using var database = new TestDatabase();
        using var process = Process.Start(PsmProcess(database,
            (DatabaseInitializer.AdminEmailVariable, "ops@example.com"),
            (DatabaseInitializer.AdminPasswordVariable, "A-long-first-password-1")))!;
        try
        {
            var address = await ListeningAddressAsync(process);
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

            var signIn = await client.GetStringAsync("/account/sign-in");
            Assert.DoesNotContain(Psm.Web.Data.Demo.DemoData.Password, signIn);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        await using var check = new PsmServer(new Dictionary<string, string?>
        {
            ["Database:Provider"] = database.Provider,
            ["ConnectionStrings:Psm"] = database.ConnectionString,
        });
        using var scope = check.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<Psm.Web.Data.PsmDb>().Users.Select(u => u.Email).ToList();
        Assert.Equal(["ops@example.com"], users);
    }

    [Fact]
    public async Task WithoutMigratingOnStartItRefusesADatabaseThatLacksMigrationsAndStartsOnOneThatHasThem()
    {
        // Production migrates with the bundle (scripts/cluster.sh runs it in ./test.sh); an instance only checks.
        await using (var empty = new TestDatabase())
        {
            var message = await RefusalAsync(empty,
                ("Database__MigrateOnStart", "false"),
                (DatabaseInitializer.AdminEmailVariable, "ops@example.com"),
                (DatabaseInitializer.AdminPasswordVariable, "A-long-first-password-1"));
            Assert.Contains(DatabaseInitializer.MigrateOnStartSetting + " is false", message);
            Assert.Matches(@"lacks \d+ of this version's migrations", message);
        }

        await using var migrated = new PsmServer();
        var settings = migrated.SameDatabase();
        settings[DatabaseInitializer.MigrateOnStartSetting] = "false";
        await using var instance = Psm.TestSupport.PsmProcess.Start("checked", settings);
        await instance.WaitReadyAsync();
        using var client = new HttpClient { BaseAddress = instance.Address };
        Assert.Contains("Sign in", await client.GetStringAsync("/account/sign-in"));
    }

    internal static async Task<string> ListeningAddressAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var at = line.IndexOf("Now listening on: ", StringComparison.Ordinal);
            if (at >= 0)
            {
                return line[(at + "Now listening on: ".Length)..].Trim();
            }
        }

        throw new InvalidOperationException($"PSM exited before listening: {await process.StandardError.ReadToEndAsync()}");
    }
}
