using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Psm.Web.Infrastructure;

/// <summary>PSM's own measurements (meter <c>Psm</c>): background job runs and the outbox's depth.</summary>
public static class PsmMetrics
{
    public const string MeterName = "Psm";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> JobRuns = Meter.CreateCounter<long>("psm.job.runs", "{run}", "Runs of a background job on this instance, by job and outcome.");
    private static long outboxQueued = -1;

    static PsmMetrics()
    {
        Meter.CreateObservableGauge("psm.outbox.queued", () => Interlocked.Read(ref outboxQueued) is var queued and >= 0
                ? [new Measurement<long>(queued)] : Array.Empty<Measurement<long>>(),
            "{message}", "Messages waiting in the outbox (mail, webhooks) as this instance's sender last counted them.");
    }

    public static void JobRan(string job, bool failed) =>
        JobRuns.Add(1, new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("outcome", failed ? "failed" : "ok"));

    public static void OutboxQueued(long count) => Interlocked.Exchange(ref outboxQueued, count);
}

/// <summary>
/// Telemetry as settings turn it on (ADR-022): <c>Telemetry:Prometheus</c> serves metrics for scraping at <c>/metrics</c>;
/// <c>Telemetry:OtlpEndpoint</c> sends metrics and traces to an OpenTelemetry collector; <c>Telemetry:JsonLogs</c> writes
/// one JSON object per log line. Metrics: ASP.NET Core's requests (rate, duration, by route and status), Kestrel's
/// connections, Npgsql's connection pool and commands, PSM's job runs and outbox depth, the runtime's.
/// Traces: requests, outgoing HTTP (webhooks) and Npgsql's commands.
/// </summary>
public static class Telemetry
{
    public static WebApplicationBuilder AddPsmTelemetry(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (config.GetValue("Telemetry:JsonLogs", false))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(options =>
            {
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }

        var prometheus = config.GetValue("Telemetry:Prometheus", false);
        var otlp = config["Telemetry:OtlpEndpoint"] is { Length: > 0 } endpoint
            ? Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri
                : throw new InvalidOperationException($"Telemetry:OtlpEndpoint must be an absolute URL (http://collector:4317), not '{endpoint}'.")
            : null;
        if (!prometheus && otlp is null)
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("psm", serviceInstanceId: Environment.MachineName + "/" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime", "Npgsql",
                    PsmMetrics.MeterName);
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            });
        if (otlp is not null)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource("Microsoft.AspNetCore", "System.Net.Http", "Npgsql")
                .AddOtlpExporter(o => o.Endpoint = otlp));
        }

        return builder;
    }

    /// <summary>The scrape endpoint, when Telemetry:Prometheus is on. Keep it inside: deploy/haproxy.cfg.template refuses it from outside.</summary>
    public static WebApplication MapPsmTelemetry(this WebApplication app)
    {
        if (app.Configuration.GetValue("Telemetry:Prometheus", false))
        {
            app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        }

        return app;
    }
}
