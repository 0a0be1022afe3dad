using System.Text;
using System.Text.Json;

namespace Psm.Web.Infrastructure.Http;

/// <summary>A reference to a record by id, with the name people know it by.</summary>
public sealed record NamedRef(Guid Id, string Name);

/// <summary>One page of a list, and the cursor that fetches the next one (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Keyset (cursor) pagination: a cursor holds the sort key of the last row served, so the next page
/// is a range seek on an index, whatever the depth, and rows inserted meanwhile do not shift pages.
/// </summary>
public sealed record PageRequest(int Limit, IReadOnlyList<string>? After)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>Reads ?limit= and ?cursor=; a bad value is reported against its query field.</summary>
    public static PageRequest Parse(int? limit, string? cursor)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw new RequestValidationException("limit", $"Limit must be between 1 and {MaxLimit}.");
        }

        IReadOnlyList<string>? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            after = Decode(cursor) ?? throw new RequestValidationException("cursor", "The cursor is not one this API issued.");
        }

        return new PageRequest(limit ?? DefaultLimit, after);
    }

    /// <summary>Cuts the limit+1 rows a query fetched into a page and the cursor after its last row.</summary>
    public Page<T> ToPage<T>(IReadOnlyList<T> fetched, Func<T, string[]> keyOf)
    {
        if (fetched.Count <= Limit)
        {
            return new Page<T>(fetched, null);
        }

        var items = fetched.Take(Limit).ToList();
        return new Page<T>(items, Encode(keyOf(items[^1])));
    }

    /// <summary>
    /// The (time, id) a newest-first list stopped at, or null on the first page. A cursor from a list
    /// with another key is refused as a field error, not a crash.
    /// </summary>
    public (DateTimeOffset At, Guid Id)? NewestFirstAfter()
    {
        if (After is null)
        {
            return null;
        }

        return After is [var at, var id, ..]
            && DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time)
            && Guid.TryParse(id, out var guid)
                ? (time, guid)
                : throw new RequestValidationException("cursor", "The cursor is not one this list issued.");
    }

    /// <summary>The cursor key of a row in a newest-first list.</summary>
    public static string[] NewestFirstKey(DateTimeOffset at, Guid id) =>
        [at.ToString("O", System.Globalization.CultureInfo.InvariantCulture), id.ToString()];

    public static string Encode(string[] key) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(key)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string[]? Decode(string cursor)
    {
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var key = JsonSerializer.Deserialize<string[]>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            return key is { Length: > 0 } ? key : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
