using System.Globalization;

namespace Psm.Web.Features.Feedback;

/// <summary>
/// One answer per browser per wave on an anonymous survey link (Surveys:OneAnswerPerBrowser, on by default):
/// a cookie remembers the wave this browser answered. It stops a repeated click or a casual second vote;
/// someone who clears cookies can answer again, which the per-address rate limit keeps small.
/// </summary>
public static class AnonymousAnswers
{
    public const string Message = "This browser has already answered this survey. Thank you: one answer per person keeps the score honest.";

    public static bool Enabled(HttpContext http) =>
        http.RequestServices.GetRequiredService<IConfiguration>().GetValue("Surveys:OneAnswerPerBrowser", true);

    /// <summary>Whether this browser answered the survey's current wave (a closed survey says so itself instead).</summary>
    public static bool AlreadyAnswered(HttpContext http, SurveyDto survey) =>
        survey.Status != SurveyStatus.Closed && Enabled(http) && http.Request.Cookies.TryGetValue(CookieName(survey), out var wave)
        && wave == survey.Wave.ToString(CultureInfo.InvariantCulture);

    public static void Remember(HttpContext http, SurveyDto survey)
    {
        if (Enabled(http) && !http.Response.HasStarted)
        {
            http.Response.Cookies.Append(CookieName(survey), survey.Wave.ToString(CultureInfo.InvariantCulture), new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, MaxAge = TimeSpan.FromDays(365),
                Path = "/",
            });
        }
    }

    private static string CookieName(SurveyDto survey) => $"psm.answered.{survey.Id:N}";
}
