using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Psm.TestSupport;

/// <summary>
/// Several PSM instances as real processes (Psm.Web.dll, Production) on one database, behind a real HAProxy configured
/// from deploy/haproxy.cfg.template, as docs/operations.md deploys them. An in-process <see cref="Owner"/> made the
/// database (and drops it) and issues API keys; it runs no periodic jobs, so that the jobs' leases are the instances' alone.
/// Every instance keeps its Data Protection keys and its public rate-limit counts in the database.
/// </summary>
public sealed class PsmCluster : IAsyncDisposable
{
    private readonly Process balancer;
    private readonly StringBuilder balancerLog = new();
    private readonly string folder;

    private PsmCluster(PsmServer owner, List<PsmProcess> instances, Process balancer, Uri address, string folder)
    {
        Owner = owner;
        Instances = instances;
        this.balancer = balancer;
        Address = address;
        this.folder = folder;
    }

    public PsmServer Owner { get; }
    public IReadOnlyList<PsmProcess> Instances { get; }

    /// <summary>The balancer: where users and API clients reach PSM.</summary>
    public Uri Address { get; }

    public static readonly Dictionary<string, string?> SharedSettings = new()
    {
        ["DataProtection:Keys"] = "Database",
        ["RateLimits:Store"] = "Database",
    };

    /// <summary>The owner's settings that switch its periodic jobs off (the instances keep theirs).</summary>
    private static readonly Dictionary<string, string?> NoJobs = new()
    {
        ["Sla:MonitorSeconds"] = "0", ["Rollups:Seconds"] = "0",
        ["Outbox:SendSeconds"] = "0", ["Mail:FetchSeconds"] = "0", ["Alerts:Seconds"] = "0", ["Commerce:RecomputeMinutes"] = "0",
        ["BusinessReview:MailHours"] = "0", ["Webhooks:PollSeconds"] = "0", ["Churn:TrainHours"] = "0",
    };

    public static async Task<PsmCluster> StartAsync(int instances = 2, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(SharedSettings);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var ownerSettings = new Dictionary<string, string?>(all);
        foreach (var (key, value) in NoJobs)
        {
            ownerSettings[key] = value;
        }

        var owner = new PsmServer(ownerSettings);
        var started = new List<PsmProcess>();
        Process? haproxyProcess = null;
        try
        {
            var database = owner.SameDatabase();
            foreach (var (key, value) in all)
            {
                database[key] = value;
            }

            for (var i = 1; i <= instances; i++)
            {
                var instance = PsmProcess.Start($"app{i}", database);
                started.Add(instance);
                await instance.WaitReadyAsync();
            }

            var folder = Directory.CreateTempSubdirectory("psm-cluster-").FullName;
            var port = FreePort();
            var config = Path.Combine(folder, "haproxy.cfg");
            await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(Path.Combine(Repository.Root, "deploy", "haproxy.cfg.template")))
                .Replace("{{BIND}}", $"127.0.0.1:{port}")
                .Replace("{{SERVERS}}", string.Join('\n', started.Select(s => $"    server {s.Name} 127.0.0.1:{s.Port} cookie {s.Name}"))));
            var haproxy = new[] { "/usr/sbin/haproxy", "/usr/bin/haproxy" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("HAProxy is not installed: ./test.sh installs it (apt-get install haproxy).");
            var process = Process.Start(new ProcessStartInfo(haproxy, $"-db -f \"{config}\"")
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            })!;
            haproxyProcess = process;
            var cluster = new PsmCluster(owner, started, process, new Uri($"http://127.0.0.1:{port}/"), folder);
            process.ErrorDataReceived += (_, e) => { lock (cluster.balancerLog) { cluster.balancerLog.AppendLine(e.Data); } };
            process.OutputDataReceived += (_, e) => { lock (cluster.balancerLog) { cluster.balancerLog.AppendLine(e.Data); } };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            await cluster.WaitUntilAsync(async () =>
            {
                using var client = cluster.Client();
                return (await client.GetAsync("/health/ready")).IsSuccessStatusCode;
            }, "the balancer to answer");
            return cluster;
        }
        catch
        {
            // A balancer that started must not outlive a cluster that did not.
            if (haproxyProcess is { HasExited: false })
            {
                haproxyProcess.Kill();
            }

            foreach (var instance in started)
            {
                await instance.DisposeAsync();
            }

            await owner.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A client of the balancer that keeps no cookies (so requests are spread over the instances), connecting from
    /// <paramref name="from"/> (any 127.x.y.z address: each is another client address to the balancer).
    /// </summary>
    public HttpClient Client(string from = "127.0.0.1") => new(new SocketsHttpHandler
    {
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(1),
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>What HAProxy printed, for a failing test's message.</summary>
    public string BalancerLog
    {
        get
        {
            lock (balancerLog)
            {
                return balancerLog.ToString();
            }
        }
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until && !balancer.HasExited)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Waited for {what}{(balancer.HasExited ? ", but HAProxy stopped" : " for 30 s")}.\n{BalancerLog}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!balancer.HasExited)
        {
            balancer.Kill();
        }

        await balancer.WaitForExitAsync();
        balancer.Dispose();
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }

        await Owner.DisposeAsync();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }
}

/// <summary>One PSM instance as its own process (Psm.Web.dll in Production), on a loopback port of its own.</summary>
public sealed class PsmProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder log = new();

    private PsmProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        this.process = process;
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>
    /// PSM as operators run it: <c>dotnet publish</c> of the build the tests use (a few seconds, once per run), so that its
    /// static files (Blazor's script, MudBlazor's styles) are served in Production as from a real deployment.
    /// </summary>
    private static readonly Lazy<string> Published = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("psm-published-").FullName;
        var project = Path.Combine(Repository.Root, "src", "Psm.Web", "Psm.Web.csproj");
        using var publish = Process.Start(new ProcessStartInfo("dotnet", $"publish \"{project}\" -c {Configuration} --no-build -nologo -o \"{folder}\"")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEnd();
        publish.WaitForExit();
        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed:\n{output.Result}\n{errors}");
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
        };
        return folder;
    });

    public string Name { get; }
    public int Port { get; }
    public Uri Address => new($"http://127.0.0.1:{Port}/");
    public bool HasExited => process.HasExited;

    /// <summary>The process id, which the instance's name in leases and job records (machine/process/random) carries.</summary>
    public int ProcessId => process.Id;

    /// <summary>Starts Psm.Web.dll with <paramref name="settings"/> (as environment variables, "a:b" as "a__b").</summary>
    public static PsmProcess Start(string name, IReadOnlyDictionary<string, string?> settings)
    {
        var port = PsmCluster.FreePort();
        var dll = Path.Combine(Published.Value, "Psm.Web.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Demo__Seed"] = "false";
        start.Environment["Churn__TrainHours"] = "0";
        start.Environment["ApiKeys__RequestsPerMinute"] = "1000000";
        start.Environment.Remove("PSM_ADMIN_EMAIL");
        start.Environment.Remove("PSM_ADMIN_PASSWORD");
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__")] = value;
        }

        var process = Process.Start(start)!;
        var instance = new PsmProcess(name, port, process);
        process.OutputDataReceived += (_, e) => instance.Append(e.Data);
        process.ErrorDataReceived += (_, e) => instance.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return instance;
    }

    private void Append(string? line)
    {
        lock (log)
        {
            log.AppendLine(line);
        }
    }

    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    /// <summary>Waits until /health/ready answers 200 (the database answers and migrations ran).</summary>
    public async Task WaitReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} stopped with code {process.ExitCode}:\n{Log}");
            }

            try
            {
                if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Still starting.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{Name} was not ready after 90 s:\n{Log}");
    }

    /// <summary>SIGKILL: the process ends at once, with no chance to finish requests, give up leases or flush anything.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }
}

/// <summary>The repository's root folder (where Psm.slnx is), found from the test's output folder.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Psm.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Psm.slnx not found above " + AppContext.BaseDirectory);
    }
}
