using Microsoft.EntityFrameworkCore;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// The limits the database model sets (text lengths) and the API's date range, checked on a record
/// before it is stored: imports build records without the JSON API's attributes, so this is where the
/// two share one set of limits.
/// </summary>
public static class RecordLimits
{
    public static IEnumerable<(string Field, string Message)> Problems(DbContext db, object record)
    {
        var type = db.Model.FindEntityType(record.GetType());
        if (type is null)
        {
            yield break;
        }

        foreach (var property in type.GetProperties())
        {
            if (property.PropertyInfo is not { } info)
            {
                continue;
            }

            var value = info.GetValue(record);
            var field = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (value is string text && property.GetMaxLength() is { } max && text.Length > max)
            {
                yield return (field, $"{field} must be at most {max} characters (it has {text.Length}).");
            }
            else if (value is DateOnly day && !InputRules.InRange(day) || value is DateTimeOffset moment && !InputRules.InRange(moment))
            {
                yield return (field, InputRules.RangeMessage);
            }
        }
    }
}
