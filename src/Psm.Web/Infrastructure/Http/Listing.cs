using System.Globalization;

namespace Psm.Web.Infrastructure.Http;

/// <summary>A record that lists by name or by age, with its id as the tie-breaker.</summary>
public interface IListable
{
    Guid Id { get; }
    string Name { get; }
    DateTimeOffset CreatedAt { get; }
}

public enum ListSort { Name, NameDescending, Newest, Oldest }

/// <summary>The orders every named list offers, and the keyset seek that pages through each.</summary>
public static class Listing
{
    public static IQueryable<T> Ordered<T>(this IQueryable<T> query, ListSort sort) where T : class, IListable => sort switch
    {
        ListSort.NameDescending => query.OrderByDescending(x => x.Name).ThenByDescending(x => x.Id),
        ListSort.Newest => query.OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.Id),
        ListSort.Oldest => query.OrderBy(x => x.CreatedAt).ThenBy(x => x.Id),
        _ => query.OrderBy(x => x.Name).ThenBy(x => x.Id),
    };

    /// <summary>The rows after the cursor's key in the given order.</summary>
    public static IQueryable<T> After<T>(this IQueryable<T> query, ListSort sort, IReadOnlyList<string>? after)
        where T : class, IListable
    {
        if (after is null)
        {
            return query;
        }

        if (after.Count != 2 || !Guid.TryParse(after[1], out var id))
        {
            throw BadCursor();
        }

        if (sort is ListSort.Newest or ListSort.Oldest)
        {
            if (!DateTimeOffset.TryParse(after[0], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
            {
                throw BadCursor();
            }

            return query.Seek(x => x.CreatedAt, x => x.Id, at, id, descending: sort == ListSort.Newest);
        }

        return query.Seek(x => x.Name, x => x.Id, after[0], id, descending: sort == ListSort.NameDescending);
    }

    public static string[] KeyOf(ListSort sort, string name, DateTimeOffset createdAt, Guid id) =>
        sort is ListSort.Newest or ListSort.Oldest
            ? [createdAt.ToString("O", CultureInfo.InvariantCulture), id.ToString()]
            : [name, id.ToString()];

    private static RequestValidationException BadCursor() => new("cursor", "The cursor does not belong to this list.");
}
