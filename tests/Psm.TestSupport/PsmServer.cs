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
/// One per test, so tests share no state.
/// </summary>
public sealed class PsmServer : WebApplicationFactory<Program>
{
    private readonly TestDatabase database = new();
    private readonly Dictionary<string, string?> settings;
    private readonly TimeProvider? clock;

    public PsmServer(Dictionary<string, string?>? extraSettings = null, TimeProvider? clock = null)
    {
        this.clock = clock;
        settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = database.Provider,
            ["ConnectionStrings:Psm"] = database.ConnectionString,
            ["Demo:Seed"] = "false",
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

    public string Provider => database.Provider;

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
    public async Task<HttpClient> ClientFor(string email, ApiKeyScope scope = ApiKeyScope.ReadWrite)
    {
        var token = await IssueKeyAsync(email, scope);
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
        await database.DisposeAsync();
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
