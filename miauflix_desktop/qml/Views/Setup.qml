// First run (and Menu → TMDB key): the TMDB key, checked against the API before saving,
// the language, or skip to the demo library. Up/Down move between the rows.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: setup
    objectName: "setupView"
    property QtObject vm

    Column {
        x: parent.width * 0.05
        y: parent.height * 0.08
        // the right half belongs to the on-screen keyboard
        width: parent.width * 0.5
        spacing: Theme.px(30)

        Text {
            text: "Welcome to Miauflix"
            color: Theme.accent
            font.family: Theme.fontFamily
            font.pixelSize: Theme.titleSize
            font.bold: true
        }
        Text {
            width: parent.width
            text: "Enter your TMDB API key (a free account at themoviedb.org gives you one) for films and series, or skip and use the demo library."
            color: Theme.text
            wrapMode: Text.Wrap
            lineHeight: 1.2
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }

        Text {
            text: "TMDB API key"
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        Rectangle {
            id: keyField
            objectName: "setupKeyField"
            readonly property bool showsFocus: keyInput.activeFocus
            width: parent.width
            height: keyInput.implicitHeight + Theme.px(32)
            radius: Theme.radius
            color: Theme.surface
            border.color: keyInput.activeFocus ? Theme.focusRing : Theme.surfaceRaised
            border.width: Theme.focusBorder
            TextInput {
                id: keyInput
                objectName: "setupKeyInput"
                x: Theme.px(24)
                width: parent.width - Theme.px(48)
                anchors.verticalCenter: parent.verticalCenter
                focus: true
                clip: true
                color: Theme.text
                selectionColor: Theme.accent
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                KeyNavigation.down: languages
                // At the end of the text Right moves to the on-screen keyboard (remote only).
                KeyNavigation.right: keyboard
                Keys.onReturnPressed: setup.vm.checkAndSave(text)
                Keys.onEnterPressed: setup.vm.checkAndSave(text)
                Text {
                    anchors.verticalCenter: parent.verticalCenter
                    visible: keyInput.text === ""
                    text: "Paste or type the key"
                    color: Theme.textDim
                    font: keyInput.font
                }
            }
            MouseArea { anchors.fill: parent; onClicked: keyInput.forceActiveFocus() }
        }

        Text {
            text: "Language"
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        ListView {
            id: languages
            objectName: "setupLanguages"
            width: parent.width
            height: Theme.px(84)
            clip: true
            orientation: ListView.Horizontal
            spacing: Theme.px(20)
            keyNavigationEnabled: true
            interactive: false
            model: setup.vm ? setup.vm.languageNames : []
            currentIndex: 0
            KeyNavigation.up: keyInput
            KeyNavigation.down: saveButton
            delegate: ListEntry {
                required property int index
                required property string modelData
                objectName: "language_" + (setup.vm ? setup.vm.languages[index] : index)
                width: Theme.px(230)
                anchors.verticalCenter: parent ? parent.verticalCenter : undefined
                text: modelData
                selected: setup.vm && setup.vm.language === setup.vm.languages[index]
                focus: ListView.isCurrentItem
                onActivated: { languages.currentIndex = index; setup.vm.language = setup.vm.languages[index] }
            }
        }

        Flow {
            width: parent.width
            spacing: Theme.px(32)
            FocusButton {
                id: saveButton
                objectName: "setupSaveButton"
                text: "Check & save"
                KeyNavigation.up: languages
                KeyNavigation.right: skipButton
                KeyNavigation.down: skipButton  // the Flow may wrap Skip below
                onActivated: setup.vm.checkAndSave(keyInput.text)
            }
            FocusButton {
                id: skipButton
                objectName: "setupSkipButton"
                text: "Skip — use the demo library"
                KeyNavigation.up: saveButton
                KeyNavigation.left: saveButton
                onActivated: setup.vm.skip()
            }
        }

        Row {
            spacing: Theme.px(20)
            Spinner {
                width: Theme.px(48); height: Theme.px(48)
                visible: setup.vm && setup.vm.busy
            }
            Text {
                objectName: "setupMessage"
                text: setup.vm ? setup.vm.message : ""
                color: setup.vm && setup.vm.isError ? Theme.error : Theme.textDim
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                font.bold: setup.vm && setup.vm.isError
            }
        }
    }

    // With only a remote: Right from the key field opens this keyboard (a v3 key is 32
    // characters of 0-9a-f); Left from its first column goes back to the field.
    OnScreenKeyboard {
        id: keyboard
        objectName: "setupKeyboard"
        x: parent.width * 0.6
        y: parent.height * 0.08
        onTyped: (t) => keyInput.insert(keyInput.cursorPosition, t)
        onBackspace: if (keyInput.cursorPosition > 0)
                         keyInput.remove(keyInput.cursorPosition - 1, keyInput.cursorPosition)
        onClear: keyInput.clear()
        onLeftEdge: keyInput.forceActiveFocus()
    }
}
