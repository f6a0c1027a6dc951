// Ten-foot theme: colours, sizes designed at 1920x1080 and scaled to the window (scale is
// bound by Main.qml), so body text stays >= 28 px at 1080p and readable from the couch.
pragma Singleton
import QtQuick

QtObject {
    property real scale: 1.0

    readonly property color background: "#0d0e12"
    readonly property color surface: "#1b1d25"
    readonly property color surfaceRaised: "#272a35"
    readonly property color text: "#f4f4f7"
    readonly property color textDim: "#b3b6c2"
    readonly property color accent: "#ff5a7a"
    readonly property color focusRing: "#ffffff"
    readonly property color focusFill: "#ff5a7a"
    readonly property color demo: "#ffb020"
    readonly property color error: "#ff7a6b"

    function px(v) { return Math.round(v * scale) }

    readonly property int bodySize: px(32)
    readonly property int smallSize: px(28)
    readonly property int headingSize: px(40)
    readonly property int titleSize: px(64)
    readonly property int focusBorder: Math.max(3, px(6))
    readonly property int radius: px(12)
    readonly property int cardWidth: px(240)
    readonly property int cardHeight: px(360)
    readonly property real focusScale: 1.08
    readonly property int animMs: 120
    readonly property string fontFamily: "DejaVu Sans"
}
