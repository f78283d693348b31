// The incident form's "Find": the address as typed → GET /api/v1/places → a list under the field
// (name in the page's language, kind, where it came from). Choosing a place hands it to the form,
// which sets the coordinates the way a map click does. Names come from the config or an online
// geocoder: shown as text, never markup.
import { api } from '../api.js'
import { clear, h } from '../dom.js'
import { label, localName, t, tOr } from '../i18n.js'
import type { Place, PlacesAnswerView } from '../../wire/places.js'

/** The API's bound on q (longer is refused): the field keeps its own maxlength for the address. */
const MAX_QUERY = 64

export class PlaceLookup {
  readonly button = label(h('button', { type: 'button', id: 'incident-find' }), 'places.find')
  readonly list = h('ol', { class: 'place-results', id: 'incident-places' })

  constructor(private readonly input: HTMLInputElement, private readonly onChoose: (p: Place) => void) {
    this.button.onclick = () => void this.find()
    // Enter in the address field looks it up instead of submitting the form.
    input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return
      e.preventDefault()
      void this.find()
    })
  }

  async find(): Promise<void> {
    clear(this.list)
    const q = this.input.value.trim().slice(0, MAX_QUERY)
    if (q === '') {
      this.list.append(h('li', { class: 'empty' }, t('places.typeName')))
      return
    }
    try {
      const res = await api.get<PlacesAnswerView>(`/api/v1/places?q=${encodeURIComponent(q)}`)
      for (const p of res.places) this.list.append(this.item(p))
      if (res.places.length === 0) this.list.append(h('li', { class: 'empty' }, t('places.none')))
      if (res.geocoder === 'failed') this.list.append(h('li', { class: 'hint' }, t('places.geocoderFailed')))
    } catch (err) {
      this.list.append(h('li', { class: 'error' }, t('common.error', { message: (err as Error).message })))
    }
  }

  private item(p: Place): HTMLElement {
    const name = localName(p.name, p.nameEn)
    const li = h('li', { class: 'place', tabindex: '0', 'data-source': p.source },
      h('strong', {}, name), ' · ', tOr(`placeKind.${p.kind}`, p.kind), ' · ', h('span', { class: 'hint' }, t(`placeSource.${p.source}`)))
    const choose = () => {
      clear(this.list)
      this.onChoose({ ...p, name })
    }
    li.onclick = choose
    li.onkeydown = (e) => {
      if (e.key === 'Enter') choose()
    }
    return li
  }
}
