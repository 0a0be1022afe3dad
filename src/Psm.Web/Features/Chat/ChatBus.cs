using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Psm.Web.Infrastructure;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Chat;

public enum ChatBusKind { Line, State, Typing, Board, Sites }

/// <summary>
/// A chat event as it travels between instances: what happened and to which conversation, never the text (a line is read
/// from the database where a widget needs it), so a notification stays far below PostgreSQL's 8,000-byte limit.
/// </summary>
public sealed record ChatBusEvent(ChatBusKind Kind, Guid Conversation, bool ToVisitor = false, string? Who = null, Guid? LineId = null)
{
    /// <summary>The instance that published it; it has delivered the event itself and skips it when it comes back.</summary>
    public string From { get; init; } = "";
}

/// <summary>
/// Chat events between PSM instances on one PostgreSQL (ADR-023): published with <c>pg_notify</c> on the channel
/// <see cref="Channel"/> and heard by every instance's <see cref="ChatBusListener"/>. PostgreSQL delivers a notification
/// to every listener of the database once the publishing statement commits, in order per publisher. On SQLite (one
/// instance) there is nobody to tell and publishing does nothing.
/// </summary>
public sealed class ChatBus(DatabaseSettings database, PsmDbPool pool, PsmInstance instance, ILogger<ChatBus> logger)
{
    public const string Channel = "psm_chat";

    public bool Shared => database.Provider == DatabaseProvider.Postgres;

    internal string InstanceId => instance.Id;

    public Task PublishAsync(ChatBusEvent e) => PublishAsync([e]);

    /// <summary>Several events in one round trip (a batch of visitors' lines), notified in the array's order.</summary>
    public async Task PublishAsync(IReadOnlyList<ChatBusEvent> events)
    {
        if (!Shared || events.Count == 0)
        {
            return;
        }

        var payloads = events.Select(e => JsonSerializer.Serialize(e with { From = instance.Id })).ToArray();
        try
        {
            await using var db = pool.Lease();
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, payload) FROM unnest({payloads}) AS payload");
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The event reached this instance's widgets and consoles; the others see it when they next read (a widget's
            // reconnect reads the whole conversation, a console its board).
            logger.LogWarning(ex, "A chat event could not be passed to the other instances.");
        }
    }
}

/// <summary>
/// Listens on the chat channel (PostgreSQL only) over a connection of its own and hands other instances' events to the
/// <see cref="ChatRelay"/>, one at a time in the order they came. A lost connection is opened again after a second;
/// events published meanwhile are not replayed (see <see cref="ChatBus.PublishAsync"/>).
/// </summary>
public sealed class ChatBusListener(ChatBus bus, DatabaseSettings database, ChatRelay relay, ILogger<ChatBusListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!bus.Shared)
        {
            return;
        }

        var heard = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        var delivering = DeliverAsync(heard.Reader, stoppingToken);
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, KeepAlive = 30 }.ConnectionString;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var listening = new NpgsqlConnection(connection);
                listening.Notification += (_, args) => heard.Writer.TryWrite(args.Payload);
                await listening.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChatBus.Channel}", listening))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    await listening.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Listening for other instances' chat events failed; trying again in a second.");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        heard.Writer.TryComplete();
        await delivering;
    }

    private async Task DeliverAsync(ChannelReader<string> heard, CancellationToken ct)
    {
        await foreach (var payload in heard.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                if (JsonSerializer.Deserialize<ChatBusEvent>(payload) is { } e && e.From != bus.InstanceId)
                {
                    await relay.ReceiveAsync(e, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "A chat event from another instance could not be delivered here.");
            }
        }
    }
}
