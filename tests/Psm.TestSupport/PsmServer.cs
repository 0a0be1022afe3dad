using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Account;

namespace Psm.TestSupport;

/// <summary>
/// PSM on Kestrel at a loopback port, over a database of its own, with the demo users in place.
/// One per test, so tests share no state. The database is a copy of one migrated (and, with Demo:Seed,
/// seeded) once per run, unless the settings change what starting up writes.
/// </summary>
public sealed class PsmServer : WebApplicationFactory<Program>
{
    private static readonly string[] StartupSettings =
        ["ConnectionStrings:Psm", "PSM_ADMIN_EMAIL", "PSM_ADMIN_PASSWORD", "Demo:Scale"];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<bool, Lazy<TestDatabase>> Templates = new();

    private readonly TestDatabase database;
    private readonly Dictionary<string, string?> settings;
    private readonly TimeProvider? clock;

    public PsmServer(Dictionary<string, string?>? extraSettings = null, TimeProvider? clock = null)
        : this(extraSettings, clock, TemplateFor(extraSettings, clock))
    {
    }

    private PsmServer(Dictionary<string, string?>? extraSettings, TimeProvider? clock, TestDatabase? template)
    {
        database = new TestDatabase(template);
        this.clock = clock;
        settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = database.Provider,
            ["ConnectionStrings:Psm"] = database.ConnectionString,
            ["Demo:Seed"] = "false",
            // Generated tests make thousands of calls with one key; the tests of the per-key limit set their own.
            ["ApiKeys:RequestsPerMinute"] = "1000000",
            // The churn model trains when a test asks (its own test); a run a minute into a long test would change what it counts.
            ["Churn:TrainHours"] = "0",
        };
        foreach (var (key, value) in extraSettings ?? [])
        {
            settings[key] = value;
        }

        UseKestrel(0);
        StartServer();
        BaseAddress = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
    }

    public Uri BaseAddress { get; }

    /// <summary>
    /// The run's template for these settings, built by the first test that asks: a PSM started once on an
    /// empty database (migrations, roles, demo users, and the demo company when Demo:Seed is on), then stopped.
    /// None when the settings decide what starting up writes, or the demo would be dated by a test's clock.
    /// </summary>
    private static TestDatabase? TemplateFor(Dictionary<string, string?>? settings, TimeProvider? clock)
    {
        settings ??= [];
        var demo = settings.TryGetValue("Demo:Seed", out var seed) && string.Equals(seed, "true", StringComparison.OrdinalIgnoreCase);
        if (StartupSettings.Any(settings.ContainsKey) || (demo && clock is not null))
        {
            return null;
        }

        return Templates.GetOrAdd(demo, _ => new Lazy<TestDatabase>(() => BuildTemplate(demo))).Value;
    }

    private static TestDatabase BuildTemplate(bool demo)
    {
        var quiet = new Dictionary<string, string?>
        {
            ["Demo:Seed"] = demo ? "true" : "false", ["Sla:MonitorSeconds"] = "0", ["Mail:FetchSeconds"] = "0", ["Outbox:SendSeconds"] = "0",
            ["Rollups:Seconds"] = "0",
        };
        var builder = new PsmServer(quiet, clock: null, template: null);
        // The daily rollups start from the template, as on a database PSM has run on: each copy's job has only its test's changes to keep.
        using (var scope = builder.Services.CreateScope())
        {
            scope.ServiceProvider.GetRequiredService<Psm.Web.Infrastructure.Rollups.RollupKeeper>().CatchUpAsync().GetAwaiter().GetResult();
        }

        var template = builder.database;
        builder.StopWithoutDropping();
        template.Seal();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => template.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return template;
    }

    private bool keepDatabase;

    private void StopWithoutDropping()
    {
        keepDatabase = true;
        Dispose();
    }

    public string Provider => database.Provider;

    /// <summary>Settings that make another server use this one's database (a second instance, or the same app after a restart).</summary>
    public Dictionary<string, string?> SameDatabase() => new() { ["Database:Provider"] = database.Provider, ["ConnectionStrings:Psm"] = database.ConnectionString };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        if (clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(clock));
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A real HTTP client to the server, with no credentials.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    /// <summary>A real HTTP client that authenticates as a demo user with a fresh API key of the given scope.</summary>
    public async Task<HttpClient> ClientFor(string email, ApiKeyScope scope = ApiKeyScope.ReadWrite) => ClientWithKey(await IssueKeyAsync(email, scope));

    /// <summary>A real HTTP client that sends the given API key.</summary>
    public HttpClient ClientWithKey(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add(ApiKey.HeaderName, token);
        return client;
    }

    public async Task<string> IssueKeyAsync(string email, ApiKeyScope scope = ApiKeyScope.ReadWrite)
    {
        await using var scopeServices = Services.CreateAsyncScope();
        var users = scopeServices.ServiceProvider.GetRequiredService<UserManager<PsmUser>>();
        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException($"No user {email}.");
        var keys = scopeServices.ServiceProvider.GetRequiredService<ApiKeyService>();
        var issued = await keys.IssueAsync(user.Id, new NewApiKey { Name = $"test {Guid.NewGuid():N}", Scope = scope });
        return issued.Token;
    }

    public static string EmailOf(string role) => DemoData.Users.Single(u => u.Role == role).Email;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!keepDatabase)
        {
            await database.DisposeAsync();
        }
    }
}

public static class HttpAssertions
{
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response)
    {
        var value = await response.Content.ReadFromJsonAsync<T>(Json.Options);
        return value ?? throw new InvalidOperationException("The response body was empty.");
    }
}

public static class Json
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

/// <summary>A clock tests move by hand: the app reads it through TimeProvider.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Set(DateTimeOffset moment) => now = moment;

    public void Advance(TimeSpan by) => now += by;
}
