using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// The address customers reach PSM at, for the links PSM mails out (survey answers, unsubscribing):
/// <c>PublicUrl</c> from configuration (set it in production: https://psm.example.com), else the first
/// address this server listens on.
/// </summary>
public sealed class PublicAddress(IConfiguration config, IServer? server = null)
{
    public string Base =>
        (config["PublicUrl"] is { Length: > 0 } configured ? configured
            : server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.Replace("[::]", "localhost").Replace("0.0.0.0", "localhost")
              ?? "http://localhost:5000").TrimEnd('/');
}
