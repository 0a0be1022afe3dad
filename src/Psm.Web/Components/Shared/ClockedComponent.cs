using Microsoft.AspNetCore.Components;

namespace Psm.Web.Components.Shared;

/// <summary>
/// A component that writes dates or times the person's way. Prerendering knows no preferences, so the first interactive
/// render looks them up once per circuit (<see cref="UserClock"/>) and renders again if they arrived after it started.
/// </summary>
public abstract class ClockedComponent : ComponentBase
{
    [Inject] protected UserClock Clock { get; set; } = null!;

    private TimeZoneInfo? renderedWith;

    protected override void OnInitialized() => renderedWith = Clock.Known;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            // Another component may have started or finished the lookup meanwhile: what counts is what this one rendered with.
            if (await Clock.GetAsync() != renderedWith)
            {
                renderedWith = Clock.Known;
                StateHasChanged();
            }
        }
    }
}
