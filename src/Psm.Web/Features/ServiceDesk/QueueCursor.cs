using System.Globalization;
using System.Linq.Expressions;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.ServiceDesk;

/// <summary>
/// The service queue's orders and the keyset seek that pages through each: a page after the ten
/// thousandth ticket reads as few rows as the first (docs/decisions/ADR-013). Every order ends with
/// the ticket number, which is unique, so pages never overlap or skip.
/// </summary>
public sealed record QueueCursor(int Number, int PriorityRank = 0, DateTimeOffset? Due = null)
{
    /// <summary>
    /// When the running target falls due: first response until answered, then resolution unless the
    /// clock is paused before it; none once resolved or closed. The queue's "Due" order and each
    /// summary's NextDueAt are both this expression.
    /// </summary>
    public static readonly Expression<Func<Ticket, DateTimeOffset?>> NextDue = t =>
        t.Status == TicketStatus.Resolved || t.Status == TicketStatus.Closed ? null
        : t.FirstResponseAt == null ? t.FirstResponseDueAt
        : t.PausedAt == null || t.PausedAt >= t.ResolutionDueAt ? t.ResolutionDueAt : null;

    /// <summary>Urgent first: the rank the "Priority" order sorts by, highest first.</summary>
    public static readonly Expression<Func<Ticket, int>> Rank = t =>
        t.Priority == TicketPriority.Urgent ? 3 : t.Priority == TicketPriority.High ? 2 : t.Priority == TicketPriority.Normal ? 1 : 0;

    public static int RankOf(TicketPriority priority) => priority switch
    {
        TicketPriority.Urgent => 3,
        TicketPriority.High => 2,
        TicketPriority.Normal => 1,
        _ => 0,
    };

    /// <summary>The tickets after the cursor, in the sort's order (nothing due sorts last on both databases).</summary>
    public static IQueryable<Ticket> Seek(IQueryable<Ticket> query, QueueSort sort, QueueCursor? after)
    {
        switch (sort)
        {
            case QueueSort.Oldest:
                return (after is { } o ? query.Where(t => t.Number > o.Number) : query).OrderBy(t => t.Number);
            case QueueSort.Priority:
                if (after is { } p)
                {
                    query = query.Where(With<int, bool>(Rank, (rank, t) => rank < p.PriorityRank || (rank == p.PriorityRank && t.Number > p.Number)));
                }

                return query.OrderByDescending(Rank).ThenBy(t => t.Number);
            case QueueSort.Due:
                if (after is { Due: { } due } d)
                {
                    query = query.Where(With<DateTimeOffset?, bool>(NextDue, (next, t) => next == null || next > due || (next == due && t.Number > d.Number)));
                }
                else if (after is { } none)
                {
                    query = query.Where(With<DateTimeOffset?, bool>(NextDue, (next, t) => next == null && t.Number > none.Number));
                }

                return query.OrderBy(With<DateTimeOffset?, bool>(NextDue, (next, _) => next == null)).ThenBy(NextDue).ThenBy(t => t.Number);
            default:
                return (after is { } n ? query.Where(t => t.Number < n.Number) : query).OrderByDescending(t => t.Number);
        }
    }

    /// <summary>The cursor key of a ticket in the given order; the sort's name comes first so a cursor from another order is refused.</summary>
    public static string[] KeyOf(QueueSort sort, TicketSummary ticket)
    {
        var number = ticket.Key[2..];
        return sort switch
        {
            QueueSort.Priority => [nameof(QueueSort.Priority), number, RankOf(ticket.Priority).ToString(CultureInfo.InvariantCulture)],
            QueueSort.Due => [nameof(QueueSort.Due), number, ticket.NextDueAt?.ToString("O", CultureInfo.InvariantCulture) ?? ""],
            _ => [sort.ToString(), number],
        };
    }

    public static QueueCursor? Parse(QueueSort sort, IReadOnlyList<string>? key)
    {
        if (key is null)
        {
            return null;
        }

        if (key.Count < 2 || key[0] != sort.ToString() || !int.TryParse(key[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw BadCursor();
        }

        return sort switch
        {
            QueueSort.Priority when key.Count == 3 && int.TryParse(key[2], NumberStyles.None, CultureInfo.InvariantCulture, out var rank) => new QueueCursor(number, PriorityRank: rank),
            QueueSort.Due when key.Count == 3 && key[2] == "" => new QueueCursor(number),
            QueueSort.Due when key.Count == 3 && DateTimeOffset.TryParse(key[2], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var due) => new QueueCursor(number, Due: due),
            QueueSort.Newest or QueueSort.Oldest when key.Count == 2 => new QueueCursor(number),
            _ => throw BadCursor(),
        };
    }

    /// <summary>
    /// A lambda over a ticket in which <paramref name="body"/>'s first parameter stands for
    /// <paramref name="part"/>, so one definition serves the order, the seek and the projection.
    /// </summary>
    public static Expression<Func<Ticket, TResult>> With<TPart, TResult>(Expression<Func<Ticket, TPart>> part, Expression<Func<TPart, Ticket, TResult>> body)
    {
        var ticket = body.Parameters[1];
        var partBody = ParameterSwap.Replace(part.Body, part.Parameters[0], ticket);
        return Expression.Lambda<Func<Ticket, TResult>>(ParameterSwap.Replace(body.Body, body.Parameters[0], partBody), ticket);
    }

    private static RequestValidationException BadCursor() => new("cursor", "The cursor does not belong to this queue and order.");
}
