using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Chat;

/// <summary>
/// Visitors' lines in chats with a person, written together (group commit): lines that arrive while a write is in progress
/// go into the next transaction, with their tickets' entries; each visitor's call returns only once its line is stored, and
/// only then is the line relayed. Many concurrent chats cost one transaction per batch instead of one per line. A batch
/// the database refuses is retried line by line, so one bad line fails only its own call.
/// </summary>
public sealed class ChatLineWriter(IServiceScopeFactory scopes, ChatRelay relay, TimeProvider time, ILogger<ChatLineWriter> logger)
{
    private const int MaxBatch = 256;

    private sealed record Pending(Guid ChatId, string Text, TaskCompletionSource<ChatLine> Done);

    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object starting = new();
    private Task? loop;

    public Task<ChatLine> WriteAsync(Guid chatId, string text)
    {
        var pending = new Pending(chatId, text, new TaskCompletionSource<ChatLine>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (starting)
        {
            loop ??= Task.Run(RunAsync);
        }

        queue.Writer.TryWrite(pending);
        return pending.Done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                await WriteBatchAsync(batch);
            }
            catch (Exception e) when (batch.Count > 1)
            {
                logger.LogWarning(e, "A batch of {Count} chat lines was refused; writing them one by one.", batch.Count);
                foreach (var one in batch)
                {
                    try
                    {
                        await WriteBatchAsync([one]);
                    }
                    catch (Exception single)
                    {
                        one.Done.TrySetException(single);
                    }
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var tickets = scope.ServiceProvider.GetRequiredService<Tickets>();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        var ids = batch.Select(p => p.ChatId).Distinct().ToList();
        var chats = await db.ChatConversations.Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id);
        var ticketIds = chats.Values.Where(c => c.TicketId != null).Select(c => c.TicketId!.Value).Distinct().ToList();
        var ticketsById = await db.Tickets.Where(t => ticketIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id);
        var now = time.GetUtcNow();
        var written = new List<(Pending Pending, ChatMessage Line)>();
        var step = 0;
        foreach (var pending in batch)
        {
            if (!chats.TryGetValue(pending.ChatId, out var chat) || chat.Status is not (ChatStatus.Waiting or ChatStatus.Active))
            {
                pending.Done.TrySetException(new RequestValidationException("text", "This chat has ended; start a new one to write again."));
                continue;
            }

            // Lines of one batch keep their order: a microsecond apart (PostgreSQL's precision).
            var at = now.AddMicroseconds(step++ * 2);
            var line = new ChatMessage { ConversationId = chat.Id, Author = ChatAuthor.Visitor, Name = chat.VisitorName.Length > 0 ? chat.VisitorName : "Visitor", Text = pending.Text, At = at };
            db.ChatMessages.Add(line);
            chat.LastAt = at;
            if (chat.TicketId is { } ticketId && ticketsById.TryGetValue(ticketId, out var ticket))
            {
                await tickets.CustomerWroteAsync(db, ticket, chat.VisitorName, pending.Text, at, default);
            }

            written.Add((pending, line));
        }

        if (written.Count == 0)
        {
            return;
        }

        await db.SaveChangesAsync();
        foreach (var (pending, line) in written)
        {
            pending.Done.TrySetResult(LiveChat.View(line));
        }

        await relay.VisitorLinesAsync(written.Select(w => (w.Line.ConversationId, w.Line.Id)).ToList());
    }
}
