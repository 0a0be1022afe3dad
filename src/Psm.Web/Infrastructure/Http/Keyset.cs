using System.Linq.Expressions;
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

/// <summary>
/// The one keyset seek every list uses. "After (key, id) in this order" is written
/// <c>key &lt;= @key AND (key &lt; @key OR id &lt; @id)</c> (mirrored for ascending): the first term is a
/// plain range both PostgreSQL and SQLite use as an index bound, so a deep page reads only its rows
/// and the ties at the cursor, never everything above it (docs/decisions/ADR-013).
/// </summary>
public static class Keyset
{
    public static IQueryable<T> Seek<T, TKey>(
        this IQueryable<T> query, Expression<Func<T, TKey>> key, Expression<Func<T, Guid>> id, TKey afterKey, Guid afterId, bool descending)
    {
        var row = key.Parameters[0];
        var keyBody = key.Body;
        var idBody = ParameterSwap.Replace(id.Body, id.Parameters[0], row);
        var keyValue = Captured(afterKey);
        var idValue = Captured(afterId);
        var (inclusive, strict) = descending
            ? (ExpressionType.LessThanOrEqual, ExpressionType.LessThan)
            : (ExpressionType.GreaterThanOrEqual, ExpressionType.GreaterThan);
        var body = Expression.AndAlso(
            Compare(keyBody, keyValue, inclusive),
            Expression.OrElse(Compare(keyBody, keyValue, strict), Compare(idBody, idValue, strict)));
        return query.Where(Expression.Lambda<Func<T, bool>>(body, row));
    }

    /// <summary>A value read through a closure, so EF sends it as a parameter (one cached plan for every page).</summary>
    private static MemberExpression Captured<TValue>(TValue value) =>
        Expression.Property(Expression.Constant(new Holder<TValue>(value)), nameof(Holder<TValue>.Value));

    private static Expression Compare(Expression left, Expression right, ExpressionType op)
    {
        var type = Nullable.GetUnderlyingType(left.Type) ?? left.Type;
        if (type == typeof(string))
        {
            var compare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
            return Expression.MakeBinary(op, Expression.Call(compare, left, right), Expression.Constant(0));
        }

        if (type == typeof(Guid))
        {
            var compareTo = typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!;
            return Expression.MakeBinary(op, Expression.Call(left, compareTo, right), Expression.Constant(0));
        }

        return Expression.MakeBinary(op, left, right);
    }

    private sealed class Holder<TValue>(TValue value)
    {
        public TValue Value { get; } = value;
    }
}

/// <summary>Puts an expression where a lambda's parameter stood, to compose query expressions from parts.</summary>
public sealed class ParameterSwap(ParameterExpression from, Expression to) : ExpressionVisitor
{
    public static Expression Replace(Expression body, ParameterExpression from, Expression to) => new ParameterSwap(from, to).Visit(body);

    protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
}
